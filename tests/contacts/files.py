"""Build the kinds of files users upload, in tests."""

from __future__ import annotations

import io
from datetime import datetime


def csv_bytes(
    lines: list[str], *, delimiter: str = ";", encoding: str = "utf-8", newline: str = "\r\n"
) -> bytes:
    return newline.join(line.replace(";", delimiter) for line in lines).encode(
        encoding
    ) + newline.encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


EXCEL_DATE = datetime(1985, 3, 14)

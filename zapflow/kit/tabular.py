"""Read whatever a spreadsheet program exported: CSV/TSV in UTF-8 (with or without BOM),
UTF-16 or Windows-1252, with `,` `;` tab or `|` delimiters, quoted fields with embedded
delimiters and new lines, blank lines, trailing empty columns, CRLF; and XLSX.

Yields `(line, cells)` where `line` is the 1-based line of the file where the record starts
(for XLSX, the row number), so reports can point at what the user sees in their editor.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from zapflow.errors import Invalid

DELIMITERS = (";", ",", "\t", "|")
SAMPLE_LINES = 50
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


class UnreadableFile(Invalid):
    """The file cannot be read at all: one clear error, nothing imported."""


@dataclass(frozen=True)
class Table:
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    text: str | None = None
    data: bytes | None = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "xlsx":
            assert self.data is not None
            return _xlsx_rows(self.data)
        assert self.text is not None and self.delimiter is not None
        return _csv_rows(self.text, self.delimiter)


def open_table(data: bytes) -> Table:
    """Detect the format, encoding and delimiter of an uploaded file."""
    if not data.strip():
        raise UnreadableFile("import.empty_file")
    if data.startswith(_ZIP_MAGIC):
        return Table(kind="xlsx", encoding=None, delimiter=None, data=data)
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFile("import.legacy_xls")
    text, encoding = decode(data)
    if "\x00" in text:
        raise UnreadableFile("import.binary_file")
    return Table(kind="csv", encoding=encoding, delimiter=detect_delimiter(text), text=text)


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 (Excel's "CSV" on Windows)."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        # Five byte values are undefined in cp1252; Latin-1 reads every byte.
        return data.decode("latin-1"), "latin-1"


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile("import.bad_encoding", encoding=encoding) from exc


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number (≥ 2) of
    fields; `,` when every candidate gives one field (a single-column file)."""
    sample = _sample(text)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [
            len(_trim(row))
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(c.strip() for c in row)
        ]
        if not counts:
            continue
        widest = max(set(counts), key=lambda n: (counts.count(n), n))
        if widest < 2:
            continue
        score = (counts.count(widest) / len(counts), widest)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sample(text: str) -> str:
    end = 0
    for _ in range(SAMPLE_LINES):
        found = text.find("\n", end)
        if found == -1:
            return text
        end = found + 1
    return text[:end]


def _trim(row: list[str]) -> list[str]:
    """Drop trailing empty cells (Excel pads rows to the widest one)."""
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile("import.bad_csv", line=start, problem=str(exc)) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only files that are spreadsheets pay for the import

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile("import.bad_xlsx") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if any(c.strip() for c in cells):
                yield number, cells
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)

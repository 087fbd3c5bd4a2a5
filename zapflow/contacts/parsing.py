"""Rows of a file → contacts to load, and a report line for every row that cannot be used as is.

Nothing here touches the database, so the rules are tested on their own and property-tested
against arbitrary bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from zapflow.contacts.columns import ColumnPlan, plan_columns
from zapflow.kit import dates, phones
from zapflow.kit.tabular import Table, open_table

SAMPLE_ROWS = 50


class Outcome(StrEnum):
    rejected = "rejected"  # not imported
    imported_without_birth_date = "imported_without_birth_date"  # imported, the date dropped
    merged_duplicate = "merged_duplicate"  # same number as an earlier row: merged into it


@dataclass(frozen=True, slots=True)
class Contact:
    line: int
    phone: str
    name: str | None
    birth_date: date | None
    attributes: dict[str, str]


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    outcome: Outcome
    reason: str
    raw: dict[str, str]


@dataclass
class ParsedFile:
    """A file opened and its columns planned; iterate `rows()` to parse it."""

    table: Table
    plan: ColumnPlan
    today: date
    default_area_code: str | None = None
    locale: str = "pt-BR"

    def rows(self) -> Iterator[Contact | Problem]:
        plan, today, area, locale = self.plan, self.today, self.default_area_code, self.locale
        rows = self.table.rows()
        if plan.has_header:
            next(rows, None)
        phone_at, name_at, date_at, extras = plan.phone, plan.name, plan.birth_date, plan.extras
        # Birth dates repeat a lot (a million rows hold a few tens of thousands of dates).
        date_cache: dict[str, dates.DateResult] = {}
        for line, cells in rows:
            width = len(cells)
            raw_phone = cells[phone_at] if phone_at < width else ""
            phone = phones.normalize_phone(raw_phone, area)
            if phone.e164 is None:
                assert phone.problem is not None
                reason = _phone_reason(raw_phone, phone.problem, locale)
                yield Problem(line, Outcome.rejected, reason, _raw(plan, cells))
                continue
            name = (
                cells[name_at].strip() or None if name_at is not None and name_at < width else None
            )
            birth_date = None
            if date_at is not None and date_at < width and cells[date_at].strip():
                raw_date = cells[date_at]
                parsed = date_cache.get(raw_date)
                if parsed is None:
                    parsed = date_cache[raw_date] = dates.parse_birth_date(raw_date, today)
                if parsed.problem is not None:
                    reason = dates.describe(parsed.problem, cells[date_at], locale)
                    yield Problem(
                        line, Outcome.imported_without_birth_date, reason, _raw(plan, cells)
                    )
                birth_date = parsed.value
            attributes = (
                {key: cells[i].strip() for i, key in extras if i < width and cells[i].strip()}
                if extras
                else {}
            )
            yield Contact(line, phone.e164, name, birth_date, attributes)


def _phone_reason(raw: str, problem: phones.PhoneProblem, locale: str) -> str:
    described = phones.describe(problem, locale)
    if not raw.strip():
        return described
    return f"{described}: '{raw.strip()}'"


def _raw(plan: ColumnPlan, cells: list[str]) -> dict[str, str]:
    return {plan.label(i): value for i, value in enumerate(cells) if value.strip()}


def open_contacts_file(
    data: bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    default_area_code: str | None = None,
    today: date | None = None,
    locale: str = "pt-BR",
) -> ParsedFile:
    """Open a file and plan its columns. Raises `Invalid` (a clear 4xx) if it cannot be read."""
    table = open_table(data)
    sample = [cells for _line, cells in _take(table.rows(), SAMPLE_ROWS)]
    today = today or date.today()
    plan = plan_columns(sample, mapping, today)
    return ParsedFile(table, plan, today, default_area_code, locale)


def _take(rows: Iterator[tuple[int, list[str]]], n: int) -> list[tuple[int, list[str]]]:
    taken = []
    for row in rows:
        taken.append(row)
        if len(taken) >= n:
            break
    return taken


def attributes_json(attributes: dict[str, Any]) -> str:
    return json.dumps(attributes, ensure_ascii=False) if attributes else "{}"

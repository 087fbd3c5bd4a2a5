"""Birth dates as people type them, to `datetime.date`.

Accepted: DD/MM/YYYY and D/M/YYYY (also with `.` or `-`), ISO YYYY-MM-DD (with an optional
time, as Excel writes it), two-digit years, and Excel serial numbers (days since 1899-12-30;
a number from 1900 to 2100 is taken for a bare year and refused, not read as a serial).

Two-digit years: `YY` is 20YY unless that is in the future, then 19YY (in 2026, `26` is
2026 and `27` is 1927): right for birth dates, which are never in the future.
Impossible dates (31/02, 29/02 outside leap years), future dates and years before 1900 are
rejected with a reason. 29/02 of a leap year is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.0+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
_MIN_YEAR = 1900
# "1990" alone is a year, not the Excel serial for 1905-06-12.
_LOOKS_LIKE_A_YEAR = (1900, 2100)


class DateProblem(StrEnum):
    unreadable = "unreadable"
    impossible = "impossible"
    future = "future"
    too_old = "too_old"


PROBLEM_TEXT: dict[DateProblem, dict[str, str]] = {
    DateProblem.unreadable: {
        "pt-BR": "data de nascimento '{value}' em formato desconhecido (use DD/MM/AAAA)",
        "en": "birth date '{value}' in an unknown format (use DD/MM/YYYY)",
    },
    DateProblem.impossible: {
        "pt-BR": "data de nascimento '{value}' inválida (não existe no calendário)",
        "en": "birth date '{value}' is not a real calendar date",
    },
    DateProblem.future: {
        "pt-BR": "data de nascimento '{value}' está no futuro",
        "en": "birth date '{value}' is in the future",
    },
    DateProblem.too_old: {
        "pt-BR": "data de nascimento '{value}' anterior a 1900",
        "en": "birth date '{value}' is before 1900",
    },
}


@dataclass(frozen=True, slots=True)
class DateResult:
    value: date | None
    problem: DateProblem | None = None


EMPTY = DateResult(None)


def parse_birth_date(raw: str, today: date) -> DateResult:
    text = raw.strip()
    if not text:
        return EMPTY
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year_text = match.groups()
        year = int(year_text) if len(year_text) == 4 else _expand_year(int(year_text), today)
        return _checked(year, int(month), int(day), today)
    match = _ISO.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _checked(year, month, day, today)
    if _SERIAL.match(text):
        serial = int(float(text))
        if not _LOOKS_LIKE_A_YEAR[0] <= serial <= _LOOKS_LIKE_A_YEAR[1]:
            return _from_excel_serial(serial, today)
    return DateResult(None, DateProblem.unreadable)


def _expand_year(two_digits: int, today: date) -> int:
    year = 2000 + two_digits
    return year if year <= today.year else year - 100


def _checked(year: int, month: int, day: int, today: date) -> DateResult:
    try:
        value = date(year, month, day)
    except ValueError:
        return DateResult(None, DateProblem.impossible)
    return _in_range(value, today)


def _from_excel_serial(serial: int, today: date) -> DateResult:
    # Excel counts a 29/02/1900 that never was; serials after it are right from this epoch.
    if serial < 61:
        return DateResult(None, DateProblem.too_old)
    return _in_range(_EXCEL_EPOCH + timedelta(days=serial), today)


def _in_range(value: date, today: date) -> DateResult:
    if value > today:
        return DateResult(None, DateProblem.future)
    if value.year < _MIN_YEAR:
        return DateResult(None, DateProblem.too_old)
    return DateResult(value)


def describe(problem: DateProblem, raw: str, locale: str = "pt-BR") -> str:
    texts = PROBLEM_TEXT[problem]
    return texts.get(locale, texts["pt-BR"]).format(value=raw.strip())

from __future__ import annotations

from datetime import date

import pytest

from zapflow.kit.dates import DateProblem, parse_birth_date

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("31/12/1990", date(1990, 12, 31)),
        ("1/2/1990", date(1990, 2, 1)),
        ("31.12.1990", date(1990, 12, 31)),
        ("31-12-1990", date(1990, 12, 31)),
        ("1990-12-31", date(1990, 12, 31)),
        ("1990-12-31 00:00:00", date(1990, 12, 31)),  # Excel's ISO with time
        ("29/02/1992", date(1992, 2, 29)),  # leap day kept
        ("31/12/90", date(1990, 12, 31)),
        ("05/06/07", date(2007, 6, 5)),  # 2007 is not in the future
        ("05/06/26", date(2026, 6, 5)),
        ("05/06/27", date(1927, 6, 5)),  # 2027 would be in the future: pivot to 1927
        ("33238", date(1990, 12, 31)),  # Excel serial number
        ("33238.0", date(1990, 12, 31)),
        (" 31/12/1990 ", date(1990, 12, 31)),
    ],
)
def test_accepted_spellings(raw: str, expected: date) -> None:
    assert parse_birth_date(raw, TODAY).value == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("31/02/1990", DateProblem.impossible),
        ("29/02/1990", DateProblem.impossible),
        ("00/01/1990", DateProblem.impossible),
        ("12/13/1990", DateProblem.impossible),  # US order is not guessed
        ("01/01/2030", DateProblem.future),
        ("01/01/1850", DateProblem.too_old),
        ("ontem", DateProblem.unreadable),
        ("1990", DateProblem.unreadable),
        ("31/12", DateProblem.unreadable),
    ],
)
def test_rejected_with_a_reason(raw: str, problem: DateProblem) -> None:
    result = parse_birth_date(raw, TODAY)
    assert result.value is None and result.problem is problem


def test_empty_stays_empty() -> None:
    result = parse_birth_date("  ", TODAY)
    assert result.value is None and result.problem is None

"""CSV exports that a spreadsheet will not execute: cells that start like a formula get a
leading apostrophe (OWASP's advice against CSV injection)."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value

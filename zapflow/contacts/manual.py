"""Numbers typed or pasted by a person: separated by commas, semicolons, new lines or spaces.

Spaces are ambiguous ("11 98765 4321" is one number), so each chunk between commas,
semicolons and new lines is first read whole; if that fails, its space-separated pieces are
grouped greedily into the longest runs that make valid numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from zapflow.contacts.parsing import Contact, Outcome, Problem
from zapflow.kit.phones import describe, normalize_phone

_CHUNKS = re.compile(r"[,;\n\r\t]+")
_LONGEST_RUN = 6  # "+55 11 9 8765 4321" is five pieces


def split_typed_numbers(text: str) -> list[str]:
    """Each number as typed, in order."""
    numbers: list[str] = []
    for piece in _CHUNKS.split(text):
        chunk = piece.strip()
        if not chunk:
            continue
        if normalize_phone(chunk).e164 is not None or " " not in chunk:
            numbers.append(chunk)
            continue
        numbers.extend(_group_pieces(chunk.split()))
    return numbers


def _group_pieces(pieces: list[str]) -> list[str]:
    grouped: list[str] = []
    start = 0
    while start < len(pieces):
        if any(ch.isalpha() for ch in pieces[start]):
            grouped.append(pieces[start])  # a word is never part of a number
            start += 1
            continue
        longest = start + 1
        while longest < min(len(pieces), start + _LONGEST_RUN) and not any(
            ch.isalpha() for ch in pieces[longest]
        ):
            longest += 1
        for end in range(longest, start, -1):
            candidate = " ".join(pieces[start:end])
            if normalize_phone(candidate).e164 is not None:
                grouped.append(candidate)
                start = end
                break
        else:
            grouped.append(pieces[start])
            start += 1
    return grouped


def parse_typed_numbers(
    text: str, default_area_code: str | None = None, locale: str = "pt-BR"
) -> Iterator[Contact | Problem]:
    """Like a file's rows, with the item's position (1-based) standing for the line."""
    for position, raw in enumerate(split_typed_numbers(text), start=1):
        result = normalize_phone(raw, default_area_code)
        if result.e164 is None:
            assert result.problem is not None
            reason = f"{describe(result.problem, locale)}: '{raw}'"
            yield Problem(position, Outcome.rejected, reason, {"phone": raw})
        else:
            yield Contact(position, result.e164, None, None, {})

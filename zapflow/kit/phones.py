"""Phone numbers to E.164, with Brazil's rules, fast.

The fast path handles Brazilian numbers with plain string operations (about 1 µs a number);
`phonenumbers` (about 20 µs) is used only for numbers written with another country code.

Rules, in order:
- Everything but digits is ignored, except a leading `+` (or `00`), which marks a number
  written with its country code.
- A leading trunk `0` is dropped, with the two-digit carrier code that may follow it
  (`0 21 11 98765-4321` → `11 98765-4321`).
- Without a `+`, 12 or 13 digits starting with `55` already carry the country code.
- What remains must be a valid two-digit area code (DDD) and a subscriber number:
  nine digits starting with 9 (mobile), or eight digits — starting with 2–5 for a landline
  (kept: WhatsApp Business runs on landlines), or 6–9 for a mobile written before the ninth
  digit, which gets its 9.
- Eight or nine digits alone have no area code: rejected, unless a default area code is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

BRAZIL_AREA_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "22", "24", "27", "28",
        "31", "32", "33", "34", "35", "37", "38", "41", "42", "43", "44", "45", "46", "47",
        "48", "49", "51", "53", "54", "55", "61", "62", "63", "64", "65", "66", "67", "68",
        "69", "71", "73", "74", "75", "77", "79", "81", "82", "83", "84", "85", "86", "87",
        "88", "89", "91", "92", "93", "94", "95", "96", "97", "98", "99",
    }
)  # fmt: skip

_NON_DIGITS = bytes(b for b in range(256) if not 48 <= b <= 57)
_MAX_DIGITS = 15  # E.164


class PhoneProblem(StrEnum):
    empty = "empty"
    no_area_code = "no_area_code"
    invalid_area_code = "invalid_area_code"
    bad_length = "bad_length"
    invalid_number = "invalid_number"
    several_numbers = "several_numbers"
    scientific_notation = "scientific_notation"


PROBLEM_TEXT: dict[PhoneProblem, dict[str, str]] = {
    PhoneProblem.empty: {"pt-BR": "telefone vazio", "en": "empty phone"},
    PhoneProblem.no_area_code: {
        "pt-BR": "telefone sem DDD",
        "en": "phone without an area code",
    },
    PhoneProblem.invalid_area_code: {"pt-BR": "DDD inexistente", "en": "no such area code"},
    PhoneProblem.bad_length: {
        "pt-BR": "quantidade de dígitos impossível para um telefone",
        "en": "impossible number of digits for a phone",
    },
    PhoneProblem.invalid_number: {"pt-BR": "número inválido", "en": "invalid number"},
    PhoneProblem.several_numbers: {
        "pt-BR": "mais de um telefone na mesma célula",
        "en": "more than one phone in the cell",
    },
    PhoneProblem.scientific_notation: {
        "pt-BR": "número em notação científica: o Excel arredondou o telefone "
        "(formate a coluna como Texto e exporte de novo)",
        "en": "number in scientific notation: Excel rounded the phone "
        "(format the column as Text and export again)",
    },
}
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")
_FLOAT_ZERO = re.compile(r"^(\d+)\.0+$")


@dataclass(frozen=True, slots=True)
class PhoneResult:
    e164: str | None
    problem: PhoneProblem | None = None


def normalize_phone(raw: str, default_area_code: str | None = None) -> PhoneResult:
    """`raw` as typed by a person → E.164 (`+5511987654321`), or the reason it cannot be."""
    text = raw.strip()
    if not text:
        return PhoneResult(None, PhoneProblem.empty)
    if "." in text or "e" in text or "E" in text:
        if _SCIENTIFIC.match(text):
            return PhoneResult(None, PhoneProblem.scientific_notation)
        whole = _FLOAT_ZERO.match(text)  # 11987654321.0, as spreadsheets export numbers
        if whole:
            text = whole.group(1)
    digits = text.encode("ascii", "ignore").translate(None, _NON_DIGITS).decode()
    if not digits:
        return PhoneResult(None, PhoneProblem.empty)
    if text[0] == "+":
        return _with_country_code(digits)
    if digits.startswith("00"):
        return _with_country_code(digits[2:])
    if len(digits) > _MAX_DIGITS:
        return PhoneResult(None, _too_long(text))
    if digits[0] == "0":
        return _national(_strip_trunk_prefix(digits[1:]), default_area_code)
    if len(digits) in (12, 13) and digits.startswith("55"):
        return _national(digits[2:], default_area_code)
    return _national(digits, default_area_code)


def _too_long(text: str) -> PhoneProblem:
    separators = ("/", " e ", " ou ", "|", ",")
    return (
        PhoneProblem.several_numbers
        if any(s in text for s in separators)
        else PhoneProblem.bad_length
    )


def _strip_trunk_prefix(after_zero: str) -> str:
    # 0 + carrier (2) + DDD (2) + 8/9 digits: drop the carrier code too.
    return after_zero[2:] if len(after_zero) in (12, 13) else after_zero


def _national(digits: str, default_area_code: str | None) -> PhoneResult:
    length = len(digits)
    if length in (8, 9):
        if default_area_code is None:
            return PhoneResult(None, PhoneProblem.no_area_code)
        digits, length = default_area_code + digits, length + 2
    if length not in (10, 11):
        return PhoneResult(None, PhoneProblem.bad_length)
    area, subscriber = digits[:2], digits[2:]
    if area not in BRAZIL_AREA_CODES:
        return PhoneResult(None, PhoneProblem.invalid_area_code)
    first = subscriber[0]
    if length == 11:
        if first != "9":
            return PhoneResult(None, PhoneProblem.invalid_number)
        return PhoneResult(f"+55{digits}")
    if first in "2345":
        return PhoneResult(f"+55{digits}")  # landline
    if first in "6789":
        return PhoneResult(f"+55{area}9{subscriber}")  # mobile written without the ninth digit
    return PhoneResult(None, PhoneProblem.invalid_number)


def _with_country_code(digits: str) -> PhoneResult:
    if len(digits) > _MAX_DIGITS or len(digits) < 8:
        return PhoneResult(None, PhoneProblem.bad_length)
    if digits.startswith("55"):
        national = digits[2:]
        if len(national) in (8, 9):
            return PhoneResult(None, PhoneProblem.no_area_code)
        return _national(national, None)
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return PhoneResult(None, PhoneProblem.invalid_number)
    if not phonenumbers.is_valid_number(parsed):
        return PhoneResult(None, PhoneProblem.invalid_number)
    return PhoneResult(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def describe(problem: PhoneProblem, locale: str = "pt-BR") -> str:
    return PROBLEM_TEXT[problem].get(locale, PROBLEM_TEXT[problem]["pt-BR"])

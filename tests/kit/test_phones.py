from __future__ import annotations

import pytest

from zapflow.kit.phones import PhoneProblem, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("11 98765 4321", "+5511987654321"),
        ("98 97043.3648", "+5598970433648"),
        ("+55 (11) 98765-4321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),  # country code without the +
        ("0055 11 98765-4321", "+5511987654321"),  # international prefix 00
        ("011 98765-4321", "+5511987654321"),  # trunk 0
        ("0 21 11 98765-4321", "+5511987654321"),  # trunk 0 + carrier code 21
        ("0xx15 11 98765-4321", "+5511987654321"),  # carrier code written with xx
        ("11 8765-4321", "+5511987654321"),  # old 8-digit mobile: gets the ninth digit
        ("(53) 3984-1941", "+555339841941"),  # landline kept
        ("055 53 3984-1941", "+555339841941"),  # trunk + carrier + landline
        ("55 99123-4567", "+5555991234567"),  # DDD 55 (Santa Maria), not a country code
        ("+351 912 345 678", "+351912345678"),  # Portugal
        ("+1 (415) 555-2671", "+14155552671"),  # USA
        ("11987654321.0", "+5511987654321"),  # a number cell exported as float
        ("tel: (11) 98765-4321", "+5511987654321"),
    ],
)
def test_valid_numbers_become_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw).e164 == e164


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", PhoneProblem.empty),
        ("   ", PhoneProblem.empty),
        ("sem telefone", PhoneProblem.empty),
        ("979632677", PhoneProblem.no_area_code),
        ("9876-5432", PhoneProblem.no_area_code),
        ("(22) 1234", PhoneProblem.bad_length),
        ("119876543210", PhoneProblem.bad_length),
        ("(10) 98765-4321", PhoneProblem.invalid_area_code),
        ("(20) 3333-4444", PhoneProblem.invalid_area_code),
        ("(11) 88765-4321", PhoneProblem.invalid_number),  # 9 digits must start with 9
        ("(11) 1765-4321", PhoneProblem.invalid_number),
        ("+55 98765-4321", PhoneProblem.no_area_code),
        ("+999 1234 5678", PhoneProblem.invalid_number),
        ("1,19877E+10", PhoneProblem.scientific_notation),
        ("(11) 98765-4321 / (11) 3333-4444", PhoneProblem.several_numbers),
    ],
)
def test_impossible_numbers_are_rejected_with_a_reason(raw: str, problem: PhoneProblem) -> None:
    result = normalize_phone(raw)
    assert result.e164 is None and result.problem is problem


def test_default_area_code_fills_a_missing_one_only_when_asked() -> None:
    assert normalize_phone("98765-4321").e164 is None
    assert normalize_phone("98765-4321", default_area_code="31").e164 == "+5531987654321"
    assert normalize_phone("3333-4444", default_area_code="31").e164 == "+553133334444"
    # A number that has its DDD keeps it.
    assert normalize_phone("(11) 98765-4321", default_area_code="31").e164 == "+5511987654321"

import pytest

from zapflow.kit.csvsafe import safe_cell


@pytest.mark.parametrize("value", ["=1+1", "+5511987654321", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_are_defused(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_plain_cells_are_untouched() -> None:
    assert safe_cell("Ana =1") == "Ana =1"

from __future__ import annotations

import pytest

from zapflow.kit.templates import TemplateError, contact_values, parse, spin

ANA = contact_values("Ana Conceição", "+5511987654321", "1990-12-31", {"Cidade": "Recife"})


def test_variables_are_filled_case_and_accent_insensitively() -> None:
    template = parse("Olá {{ Nome }}, de {{cidade}}! 🎉 {{PRIMEIRO_NOME}}")
    assert template.variables == ("nome", "cidade", "primeiro_nome")
    assert template.render(ANA) == "Olá Ana Conceição, de Recife! 🎉 Ana"


def test_missing_variables_render_empty() -> None:
    assert parse("Oi {{apelido}}!").render(ANA) == "Oi !"


@pytest.mark.parametrize(
    "text",
    [
        "{{ user.__class__ }}",
        "{{ nome[0] }}",
        "{{ __import__('os') }}",
        "{{ nome | upper }}",
        "{{ }}",
    ],
)
def test_no_attribute_access_indexing_filters_or_code(text: str) -> None:
    with pytest.raises(TemplateError, match="variável inválida"):
        parse(text)


def test_spintax_picks_one_option_deterministically_per_seed() -> None:
    template = parse("{Olá|Oi|E aí} {{nome}}, {tudo bem|como vai}?")
    first = {template.render(ANA, seed=f"m{n}") for n in range(50)}
    assert len(first) > 2  # options vary across messages
    assert template.render(ANA, seed="m1") == template.render(ANA, seed="m1")
    for text in first:
        greeting, rest = text.split(" ", 1)
        assert greeting in {"Olá", "Oi", "E"} and rest.endswith("?")


def test_nested_spintax_and_variables_inside_options() -> None:
    outputs = {spin("{Oi|{Olá|Bom dia}} {{nome}}", f"s{n}") for n in range(60)}
    assert outputs == {"Oi {{nome}}", "Olá {{nome}}", "Bom dia {{nome}}"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{Olá|Oi", "sem o '}'"), ("Oi}", "sem o '{'"), ("{a|{b|{c|{d|{e|{f|g}}}}}}", "aninhadas")],
)
def test_unbalanced_or_too_deep_spintax_is_explained(text: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        parse(text)


def test_built_ins_win_over_columns_of_the_same_name() -> None:
    values = contact_values("Ana", "+5511987654321", None, {"nome": "outra coisa", "telefone": "x"})
    assert values["nome"] == "Ana" and values["telefone"] == "+5511987654321"

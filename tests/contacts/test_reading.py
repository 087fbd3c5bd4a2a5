"""Reading files: encodings, delimiters, quoting, headers, mappings. No database needed."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from tests.contacts.files import EXCEL_DATE, csv_bytes, xlsx_bytes
from zapflow.contacts.parsing import Contact, Outcome, Problem, open_contacts_file
from zapflow.errors import Invalid

TODAY = date(2026, 12, 4)


def parse(data: bytes, **options: object) -> list[Contact | Problem]:
    return list(open_contacts_file(data, today=TODAY, **options).rows())  # type: ignore[arg-type]


def contacts(data: bytes, **options: object) -> list[Contact]:
    return [r for r in parse(data, **options) if isinstance(r, Contact)]


BASIC = [
    "Nome;Telefone;Nascimento",
    "Ana Conceição;(11) 98765-4321;31/12/1990",
    "João;21 99876-5432;",
]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("cp1252", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
    ],
)
def test_encodings_are_detected(encoding: str, prefix: bytes) -> None:
    rows = contacts(prefix + csv_bytes(BASIC, encoding=encoding))
    assert [r.name for r in rows] == ["Ana Conceição", "João"]


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters_are_detected(delimiter: str) -> None:
    rows = contacts(csv_bytes(BASIC, delimiter=delimiter))
    assert [r.phone for r in rows] == ["+5511987654321", "+5521998765432"]


def test_commas_inside_names_do_not_fool_the_semicolon_detection() -> None:
    lines = [
        "Nome;Telefone",
        "Silva, Ana;11987654321",
        "Souza, João Carlos;21998765432",
        "Lima, Bia;31987654321",
    ]
    assert [r.name for r in contacts(csv_bytes(lines))] == [
        "Silva, Ana",
        "Souza, João Carlos",
        "Lima, Bia",
    ]


def test_quoted_fields_with_delimiters_and_new_lines_keep_line_numbers_right() -> None:
    data = (
        b'nome,telefone,obs\r\n"Ana, a primeira",11987654321,"linha 1\r\nlinha 2"\r\nBia,123,ok\r\n'
    )
    rows = parse(data)
    ana, bia = rows
    assert isinstance(ana, Contact) and ana.name == "Ana, a primeira" and ana.line == 2
    assert ana.attributes == {"obs": "linha 1\r\nlinha 2"}
    assert isinstance(bia, Problem) and bia.line == 4  # the quoted field spanned lines 2-3


def test_blank_lines_and_trailing_empty_columns_are_ignored() -> None:
    lines = ["Nome;Telefone;;;", "", "Ana;11987654321;;;", ";;;;", "Bia;21998765432;;;", ""]
    rows = parse(csv_bytes(lines))
    assert [(r.line, r.name) for r in rows if isinstance(r, Contact)] == [(3, "Ana"), (5, "Bia")]
    assert all(isinstance(r, Contact) and r.attributes == {} for r in rows)


def test_lf_only_and_cr_only_line_endings() -> None:
    for newline in ("\n", "\r"):
        assert len(contacts(csv_bytes(BASIC, newline=newline))) == 2


@pytest.mark.parametrize(
    "header",
    [
        "NOME COMPLETO;Celular/WhatsApp;Data de Aniversário",
        "nome;telefone (whatsapp);data de nascimento",
        "Cliente;Fone;Dt. Nasc.",
        "Full Name;Mobile;Birthday",
        "name;phone;birth_date",
        "Nome;WhatsApp;ANIVERSARIO",
    ],
)
def test_header_variants_are_recognised(header: str) -> None:
    rows = contacts(csv_bytes([header, "Ana;(11) 98765-4321;31/12/1990"]))
    assert [(r.name, r.phone, r.birth_date) for r in rows] == [
        ("Ana", "+5511987654321", date(1990, 12, 31))
    ]


def test_the_best_phone_column_wins_when_there_are_several() -> None:
    rows = contacts(csv_bytes(["Nome;Telefone fixo;Celular", "Ana;(11) 3333-4444;(11) 98765-4321"]))
    assert rows[0].phone == "+5511987654321"
    assert rows[0].attributes == {"telefone_fixo": "(11) 3333-4444"}


def test_extra_columns_become_template_variables() -> None:
    rows = contacts(
        csv_bytes(["Nome;Telefone;Cidade Natal;Igreja", "Ana;11987654321;São Paulo;Sede"])
    )
    assert rows[0].attributes == {"cidade_natal": "São Paulo", "igreja": "Sede"}


def test_mapping_overrides_by_header_or_column_number() -> None:
    lines = ["Contato;Número principal;Outro", "Ana;11987654321;21998765432"]
    by_header = contacts(csv_bytes(lines), mapping={"phone": "Outro", "name": "Contato"})
    assert by_header[0].phone == "+5521998765432" and by_header[0].name == "Ana"
    by_number = contacts(csv_bytes(lines), mapping={"phone": "2"})
    assert by_number[0].phone == "+5511987654321"


def test_mapping_to_a_missing_column_is_a_clear_error() -> None:
    with pytest.raises(Invalid) as error:
        open_contacts_file(csv_bytes(BASIC), mapping={"phone": "Celular"})
    assert "Celular" in error.value.detail("pt-BR") and "Telefone" in error.value.detail("pt-BR")


def test_headerless_phone_list() -> None:
    rows = contacts(b"11987654321\n21998765432\n(31) 98765-4321\n")
    assert [r.phone for r in rows] == ["+5511987654321", "+5521998765432", "+5531987654321"]


def test_headerless_name_and_phone() -> None:
    rows = contacts(csv_bytes(["Ana;11987654321;31/12/1990", "Bia;21998765432;01/01/1980"]))
    assert [(r.line, r.name, r.birth_date) for r in rows] == [
        (1, "Ana", date(1990, 12, 31)),
        (2, "Bia", date(1980, 1, 1)),
    ]


def test_unrecognised_header_is_found_by_content() -> None:
    rows = contacts(csv_bytes(["Quem;Zapzap do irmão", "Ana;11987654321", "Bia;21998765432"]))
    assert [r.line for r in rows] == [2, 3]


def test_no_phone_column_lists_the_columns() -> None:
    with pytest.raises(Invalid) as error:
        open_contacts_file(csv_bytes(["Nome;Cidade", "Ana;Recife", "Bia;Natal"]))
    assert "Nome, Cidade" in error.value.detail("pt-BR")


def test_rejected_rows_carry_line_raw_values_and_reason() -> None:
    rows = parse(csv_bytes(["Nome;Telefone;Nascimento", "Ana;979632677;31/12/1990"]))
    (problem,) = rows
    assert isinstance(problem, Problem) and problem.outcome is Outcome.rejected
    assert problem.line == 2
    assert problem.raw == {"Nome": "Ana", "Telefone": "979632677", "Nascimento": "31/12/1990"}
    assert problem.reason == "telefone sem DDD: '979632677'"


def test_impossible_date_keeps_the_contact_without_it_and_says_so() -> None:
    rows = parse(csv_bytes(["Nome;Telefone;Nascimento", "Ana;11987654321;31/02/1990"]))
    warning, contact = rows
    assert isinstance(warning, Problem) and warning.outcome is Outcome.imported_without_birth_date
    assert "31/02/1990" in warning.reason
    assert (
        isinstance(contact, Contact)
        and contact.birth_date is None
        and contact.phone == "+5511987654321"
    )


def test_reasons_in_english_when_asked() -> None:
    rows = parse(csv_bytes(["Nome;Telefone", "Ana;979632677"]), locale="en")
    assert rows[0].reason == "phone without an area code: '979632677'"  # type: ignore[union-attr]


def test_xlsx_with_number_and_date_cells() -> None:
    data = xlsx_bytes(
        [
            ["Nome", "Celular", "Nascimento", "Bairro"],
            ["Ana", 11987654321, EXCEL_DATE, "Centro"],
            [None, None, None, None],
            ["Bia", "(21) 99876-5432", "01/01/1980", None],
        ]
    )
    rows = contacts(data)
    assert [(r.line, r.phone, r.birth_date) for r in rows] == [
        (2, "+5511987654321", date(1985, 3, 14)),
        (4, "+5521998765432", date(1980, 1, 1)),
    ]
    assert rows[0].attributes == {"bairro": "Centro"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "import.empty_file"),
        (b"   \r\n\r\n", "import.empty_file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "import.legacy_xls"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "import.binary_file"),
        (b"PK\x03\x04 not really a spreadsheet", "import.bad_xlsx"),
        (codecs.BOM_UTF8 + b"nome;telefone\n\xff\xfe", "import.bad_encoding"),
    ],
)
def test_unreadable_files_get_one_clear_error(data: bytes, key: str) -> None:
    with pytest.raises(Invalid) as error:
        parse(data)
    assert error.value.message_key == key

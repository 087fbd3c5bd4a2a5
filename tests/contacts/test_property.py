"""Any bytes at all give either a parse (rows and problems) or one clear error — never a crash."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zapflow.contacts.manual import parse_typed_numbers
from zapflow.contacts.parsing import Contact, Problem, open_contacts_file
from zapflow.errors import ZapflowError

CELLS = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\(?\d{2}\)? ?9?\d{4}[-. ]?\d{4}", fullmatch=True),
    st.from_regex(r"\d{1,2}/\d{1,2}/\d{2,4}", fullmatch=True),
    st.sampled_from(["Nome", "Telefone", "Celular", "Nascimento", '"', '""', "\r\n", ";", ","]),
)
CSV_LIKE = st.lists(st.lists(CELLS, max_size=6), max_size=12).flatmap(
    lambda rows: st.sampled_from([";", ",", "\t"]).map(
        lambda d: "\r\n".join(d.join(r) for r in rows).encode("utf-8")
    )
)
ENCODED = st.tuples(
    st.text(max_size=200), st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1"])
).map(lambda t: t[0].encode(t[1], errors="replace"))


def read_everything(data: bytes) -> None:
    try:
        parsed = open_contacts_file(data, today=date(2026, 12, 4))
        for row in parsed.rows():
            assert isinstance(row, (Contact, Problem))
            if isinstance(row, Contact):
                assert row.phone.startswith("+") and row.phone[1:].isdigit()
            else:
                assert row.reason and row.line >= 1
    except ZapflowError as error:
        assert error.status_code < 500
        assert error.detail("pt-BR")  # a sentence, not a key


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    read_everything(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CSV_LIKE)
def test_csv_shaped_input_never_crashes(data: bytes) -> None:
    read_everything(data)


@settings(max_examples=200, deadline=None)
@given(ENCODED)
def test_any_text_in_any_encoding_never_crashes(data: bytes) -> None:
    read_everything(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_typed_numbers_never_crash(text: str) -> None:
    for row in parse_typed_numbers(text):
        assert isinstance(row, (Contact, Problem))

"""Which column is the phone, the name, the birth date: recognised from pt-BR and English
headers in any case and with or without accents, overridable by the user, or guessed from the
content when the file has no header."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from zapflow.errors import Invalid
from zapflow.kit.dates import parse_birth_date
from zapflow.kit.phones import normalize_phone

ROLES = ("phone", "name", "birth_date")

# Exact header keys (accents and punctuation removed), strongest first within a role.
_EXACT: dict[str, tuple[str, ...]] = {
    "phone": (
        "whatsapp", "whats", "zap", "wpp", "celular", "cel", "mobile", "telefonecelular",
        "telefone", "phone", "phonenumber", "fone", "tel", "numero", "number",
    ),
    "name": ("nome", "name", "nomecompleto", "fullname", "cliente", "pessoa", "membro", "aluno"),
    "birth_date": (
        "datadenascimento", "datanascimento", "nascimento", "dtnasc", "datanasc", "nasc",
        "aniversario", "dataaniversario", "niver", "birthdate", "birthday", "dateofbirth", "dob",
    ),
}  # fmt: skip
# Fragments for longer headers such as "Telefone (WhatsApp)" or "Data de aniversário".
_FRAGMENTS: dict[str, tuple[str, ...]] = {
    "phone": ("whatsapp", "celular", "telefone", "phone", "fone", "mobile"),
    "name": ("nome", "name"),
    "birth_date": ("nascimento", "aniversario", "birth", "nasc"),
}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    """`Data de Nascimento` → `datadenascimento`."""
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    return _NON_ALNUM.sub("", "".join(c for c in folded if not unicodedata.combining(c)))


def attribute_key(text: str) -> str:
    """A template variable name for an extra column: `Cidade Natal` → `cidade_natal`."""
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_ALNUM.sub("_", plain).strip("_")


def _role_rank(key: str, role: str) -> int | None:
    """Lower is stronger; None when the header does not name this role."""
    if key in _EXACT[role]:
        return _EXACT[role].index(key)
    for position, fragment in enumerate(_FRAGMENTS[role]):
        if fragment in key:
            return 100 + position
    return None


@dataclass(frozen=True)
class ColumnPlan:
    phone: int
    name: int | None = None
    birth_date: int | None = None
    extras: tuple[tuple[int, str], ...] = ()
    has_header: bool = True
    headers: tuple[str, ...] = field(default_factory=tuple)

    def label(self, index: int) -> str:
        if index < len(self.headers) and self.headers[index].strip():
            return self.headers[index].strip()
        return f"coluna_{index + 1}"


def recognise_headers(cells: Sequence[str]) -> dict[str, int]:
    """Role → column index for the headers that name a role (best match per role)."""
    found: dict[str, tuple[int, int]] = {}
    for index, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        for role in ROLES:
            rank = _role_rank(key, role)
            if rank is not None and (role not in found or rank < found[role][0]):
                found[role] = (rank, index)
    chosen: dict[str, int] = {}
    for role in (
        "birth_date",
        "phone",
        "name",
    ):  # dates first: "data" beats "nome" in "Nome da data"
        if role in found and found[role][1] not in chosen.values():
            chosen[role] = found[role][1]
    return chosen


def plan_columns(
    sample: Sequence[Sequence[str]],
    mapping: Mapping[str, str] | None = None,
    today: date | None = None,
) -> ColumnPlan:
    """Decide the column roles from the first rows of the file (header included, if any)."""
    if not sample:
        raise Invalid("import.empty_file")
    first = list(sample[0])
    roles = recognise_headers(first)
    has_header = bool(roles)
    if not has_header:
        roles = _guess_from_content(sample, today or date.today())
        if roles and _looks_like_header(first, roles):
            has_header = True
    headers = tuple(first) if has_header else tuple("" for _ in first)
    if mapping:
        roles.update(_apply_mapping(mapping, first, has_header))
    if has_header and "phone" not in roles:
        guessed = _guess_from_content(sample, today or date.today()).get("phone")
        if guessed is not None and guessed not in roles.values():
            roles["phone"] = guessed
    if "phone" not in roles:
        columns = ", ".join(c for c in first if c.strip()) or "-"
        raise Invalid("import.no_phone_column", columns=columns)
    width = max(len(row) for row in sample)
    return _build_plan(roles, headers, width, has_header)


def _build_plan(
    roles: dict[str, int], headers: tuple[str, ...], width: int, has_header: bool
) -> ColumnPlan:
    used = set(roles.values())
    extras: list[tuple[int, str]] = []
    taken: set[str] = set()
    for index in range(width):
        if index in used:
            continue
        name = headers[index] if index < len(headers) else ""
        key = attribute_key(name) or f"coluna_{index + 1}"
        unique, n = key, 2
        while unique in taken:
            unique, n = f"{key}_{n}", n + 1
        taken.add(unique)
        extras.append((index, unique))
    padded = headers + ("",) * (width - len(headers))
    return ColumnPlan(
        phone=roles["phone"],
        name=roles.get("name"),
        birth_date=roles.get("birth_date"),
        extras=tuple(extras),
        has_header=has_header,
        headers=padded,
    )


def _apply_mapping(
    mapping: Mapping[str, str], first: list[str], has_header: bool
) -> dict[str, int]:
    columns = ", ".join(c for c in first if c.strip()) or "-"
    chosen: dict[str, int] = {}
    for role, column in mapping.items():
        if role not in ROLES:
            raise Invalid("import.unknown_column", column=role, role="-", columns=", ".join(ROLES))
        index = _column_index(str(column), first, has_header)
        if index is None:
            raise Invalid("import.unknown_column", column=column, role=role, columns=columns)
        chosen[role] = index
    return chosen


def _column_index(column: str, first: list[str], has_header: bool) -> int | None:
    if column.isdigit() and 1 <= int(column) <= max(len(first), 1):
        return int(column) - 1
    if has_header:
        wanted = header_key(column)
        for index, cell in enumerate(first):
            if cell.strip() == column.strip() or (wanted and header_key(cell) == wanted):
                return index
    return None


def _guess_from_content(sample: Sequence[Sequence[str]], today: date) -> dict[str, int]:
    """Without headers: the column where most cells are phones, then dates, then text."""
    width = max(len(row) for row in sample)
    rows = sample[1:] if len(sample) > 1 else sample

    def share(index: int, test: Callable[[str], bool]) -> float:
        cells = [row[index] for row in rows if index < len(row) and row[index].strip()]
        if not cells:
            return 0.0
        return sum(1 for c in cells if test(c)) / len(cells)

    phone_share = [share(i, lambda c: normalize_phone(c).e164 is not None) for i in range(width)]
    roles: dict[str, int] = {}
    best = max(range(width), key=lambda i: phone_share[i])
    if phone_share[best] >= 0.5:
        roles["phone"] = best
    date_share = [
        share(i, lambda c: parse_birth_date(c, today).value is not None)
        if i != roles.get("phone")
        else 0.0
        for i in range(width)
    ]
    best_date = max(range(width), key=lambda i: date_share[i])
    if date_share[best_date] >= 0.5:
        roles["birth_date"] = best_date
    for index in range(width):
        if (
            index not in roles.values()
            and share(index, lambda c: any(ch.isalpha() for ch in c)) >= 0.5
        ):
            roles["name"] = index
            break
    return roles


def _looks_like_header(first: list[str], roles: dict[str, int]) -> bool:
    """A first row whose phone cell is not a phone is a header we did not recognise."""
    index = roles.get("phone")
    if index is None or index >= len(first):
        return False
    return normalize_phone(first[index]).e164 is None

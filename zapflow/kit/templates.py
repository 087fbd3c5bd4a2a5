"""Message templates: `{{nome}}` variables and `{Olá|Oi|E aí}` spintax, rendered in a sandbox.

The language is deliberately tiny, parsed here, never evaluated: a variable is a name
(letters, digits, `_`, accents allowed) looked up in a flat dict of strings. There is no
attribute access, no indexing, no filters, no code — `{{ user.__class__ }}` is a plain error.
Spintax picks one option per message, deterministically from a seed (the message id), so a
preview shows exactly what will be sent; options nest (`{Oi|{Olá|Bom dia}}`).
Braces must balance: an unbalanced `{` or `}` is refused when the template is saved, with a
sentence saying which.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = re.compile(r"^[\w]+$", re.UNICODE)
MAX_TEMPLATE_LENGTH = 4096
MAX_SPIN_DEPTH = 5


class TemplateError(ValueError):
    """A template that cannot be rendered, with a sentence for the person who wrote it."""


@dataclass(frozen=True)
class Template:
    text: str
    variables: tuple[str, ...]

    def render(self, values: Mapping[str, str], seed: str = "") -> str:
        """Spin first (one option per group), then fill variables; missing ones become ''."""
        spun = spin(self.text, seed)
        return _VARIABLE.sub(lambda m: values.get(variable_key(m.group(1)), ""), spun)


def variable_key(name: str) -> str:
    """`Nome`, `nome`, `NOME` and `nóme` are one variable: `nome`."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def parse(text: str) -> Template:
    """Check a template once (when it is saved) and list its variables."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"a mensagem passa de {MAX_TEMPLATE_LENGTH} caracteres")
    names: list[str] = []
    for match in _VARIABLE.finditer(text):
        raw = match.group(1)
        if not _NAME.match(raw):
            raise TemplateError(
                f"variável inválida '{{{{{raw}}}}}': use só letras, números e _ (ex.: {{{{nome}}}})"
            )
        key = variable_key(raw)
        if key not in names:
            names.append(key)
    _check_spintax(_VARIABLE.sub("", text))
    return Template(text, tuple(names))


def _check_spintax(text: str) -> None:
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
            if depth > MAX_SPIN_DEPTH:
                raise TemplateError(f"variações aninhadas demais (máximo {MAX_SPIN_DEPTH} níveis)")
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise TemplateError("há um '}' sem o '{' correspondente")
    if depth:
        raise TemplateError("há um '{' sem o '}' correspondente (variações são {Olá|Oi})")


def spin(text: str, seed: str) -> str:
    """Resolve spintax groups innermost first, each choice seeded by (seed, position)."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())  # noqa: S311  (not security)
    protected = _VARIABLE.sub(lambda m: "\0" + m.group(1) + "\1", text)
    innermost = re.compile(r"\{([^{}]*)\}")
    while True:
        replaced = innermost.sub(lambda m: rng.choice(m.group(1).split("|")), protected, count=1)
        if replaced == protected:
            break
        protected = replaced
    return protected.replace("\0", "{{").replace("\1", "}}")


def contact_values(
    name: str | None, phone: str, birth_date: str | None, attributes: Mapping[str, str]
) -> dict[str, str]:
    """The variables a contact offers: its extra columns, then the built-ins (which win)."""
    first = (name or "").split()[0] if name else ""
    values = {variable_key(k): str(v) for k, v in attributes.items()}
    values |= {
        "nome": name or "",
        "name": name or "",
        "primeiro_nome": first,
        "first_name": first,
        "telefone": phone,
        "phone": phone,
    }
    if birth_date:
        values |= {"nascimento": birth_date, "birth_date": birth_date}
    return values

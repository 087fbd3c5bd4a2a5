"""Generate a messy Brazilian contacts CSV (Excel export style) and its clean twin.

The messy file: Windows-1252, `;`, CRLF, phones written a dozen ways, dates in several
spellings, about 10% bad rows and 3% duplicates. The clean file: the E.164 phone, name and ISO
date of every row that should be imported (first occurrence of each number), as COPY text.
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = [
    "Ana",
    "João",
    "Maria",
    "José",
    "Antônia",
    "Francisco",
    "Luís",
    "Thaís",
    "Gonçalo",
    "Inês",
    "Conceição",
    "Sebastião",
]
LAST = ["da Silva", "Souza", "Oliveira", "Magalhães", "Assunção", "Brandão", "Araújo", "Gonçalves"]
AREAS = ["11", "21", "31", "41", "51", "61", "71", "81", "85", "91", "98", "47", "27", "62", "92"]


def _mobile(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(AREAS)
    sub = "9" + rng.choice("6789") + "".join(rng.choice("0123456789") for _ in range(7))
    e164 = f"+55{area}{sub}"
    style = rng.randrange(8)
    text = [
        f"({area}) {sub[:5]}-{sub[5:]}",
        f"{area}{sub}",
        f"+55 {area} {sub[:5]}-{sub[5:]}",
        f"55{area}{sub}",
        f"{area} {sub[:5]}.{sub[5:]}",
        f"0{area} {sub[:5]}-{sub[5:]}",
        f"0 21 {area} {sub}",
        f"({area}) {sub[1:5]}-{sub[5:]}",  # old 8-digit form: the ninth digit is added back
    ][style]
    return text, e164


def _landline(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(AREAS)
    sub = rng.choice("2345") + "".join(rng.choice("0123456789") for _ in range(7))
    return f"({area}) {sub[:4]}-{sub[4:]}", f"+55{area}{sub}"


def _bad(rng: random.Random) -> str:
    return rng.choice(
        [
            "9" + "".join(rng.choice("0123456789") for _ in range(8)),
            "(22) 1234",
            "",
            "(10) 98765-4321",
        ]
    )


def _date(rng: random.Random) -> tuple[str, str | None]:
    year, month, day = rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28)
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    roll = rng.random()
    if roll < 0.75:
        return f"{day:02d}/{month:02d}/{year}", iso
    if roll < 0.85:
        return "", None
    if roll < 0.92:
        return iso, iso
    if roll < 0.99 and year < 2000:  # two-digit years of the last century read as 19YY
        return f"{day}/{month}/{year % 100:02d}", iso
    if roll < 0.99:
        return f"{day:02d}.{month:02d}.{year}", iso
    return f"31/02/{year}", None


def generate(rows: int, messy: Path, clean: Path, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    seen: list[str] = []
    used: set[str] = set()
    stats = {"rows": rows, "clean": 0, "rejected": 0, "duplicates": 0}
    with (
        messy.open("w", encoding="cp1252", newline="") as out,
        clean.open("w", encoding="utf-8") as good,
    ):
        out.write("Nome;Telefone;Data de Nascimento\r\n")
        for _ in range(rows):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if rng.random() < 0.02:
                name = f'"{name}; filho"'
            birth, iso = _date(rng)
            roll = rng.random()
            if roll < 0.03 and seen:
                phone_text, e164 = rng.choice(seen), None
                stats["duplicates"] += 1
            elif roll < 0.10:
                phone_text, e164 = _bad(rng), None
                stats["rejected"] += 1
            else:
                phone_text, e164 = _landline(rng) if roll < 0.17 else _mobile(rng)
                if e164 in used:
                    stats["duplicates"] += 1
                    e164 = None
                else:
                    used.add(e164)
                    seen.append(phone_text)
            out.write(f"{name};{phone_text};{birth}\r\n")
            if e164 is not None:
                stats["clean"] += 1
                good.write(f"{e164}\t{name.strip(chr(34))}\t{iso or chr(92) + 'N'}\n")
    return stats

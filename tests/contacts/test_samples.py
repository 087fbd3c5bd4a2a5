"""The shared sample files, imported through the API, checked row for row against their truth."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.models import Contact

# shared/ lies beside the checkout, for developers and CI alike.
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


def truth(name: str) -> list[dict[str, object]]:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["aniversariantes_excel", "contacts_utf8"])
async def test_sample_imports_match_the_truth_row_for_row(
    client: httpx.AsyncClient, db: AsyncSession, name: str
) -> None:
    user = await create_user(db)
    _key, key = await create_api_key(db, user)
    data = (SAMPLES / f"{name}.csv").read_bytes()
    response = await client.post(
        "/api/v1/contacts/imports",
        files={"file": (f"{name}.csv", data, "text/csv")},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    report = response.json()
    rows = truth(name)
    expected_rejected = {r["line"] for r in rows if r["phone"] is None}
    valid = [r for r in rows if r["phone"] is not None]
    first_by_phone: dict[str, dict[str, object]] = {}
    for row in valid:
        first_by_phone.setdefault(str(row["phone"]), row)

    counts = report["counts"]
    assert counts["read"] == len(rows)
    assert counts["rejected"] == len(expected_rejected)
    assert counts["duplicates"] == len(valid) - len(first_by_phone)
    assert counts["imported"] == len(first_by_phone)

    report_csv = await client.get(report["report_url"], headers=bearer(key))
    rejected_lines = {
        int(line.split(";")[0])
        for line in report_csv.text.splitlines()[1:]
        if line.split(";")[1] == "rejected"
    }
    assert rejected_lines == expected_rejected

    saved = {
        c.phone: c
        for c in (await db.execute(select(Contact).where(Contact.user_id == user.id))).scalars()
    }
    assert set(saved) == set(first_by_phone)
    for phone, row in first_by_phone.items():
        contact = saved[phone]
        assert contact.name == row["name"], row
        # A later duplicate may fill a date the first row left empty; the truth's first row wins otherwise.
        dates_for_phone = [
            r["birth_date"] for r in valid if r["phone"] == phone and r["birth_date"]
        ]
        expected_date = row["birth_date"] or (dates_for_phone[0] if dates_for_phone else None)
        assert (contact.birth_date.isoformat() if contact.birth_date else None) == expected_date, (
            row
        )

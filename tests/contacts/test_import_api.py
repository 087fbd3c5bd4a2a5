from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import make_settings, random_ip
from tests.contacts.files import csv_bytes
from tests.contacts.helpers import contacts_of, create_contact, members_of, upload
from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.api import create_app
from zapflow.auth.secrets import hash_password, new_api_key
from zapflow.db.engine import create_engine, create_sessionmaker, transaction
from zapflow.models import ApiKey, Contact, ContactImport, ContactList, User


@pytest.fixture
async def owner(db: AsyncSession) -> tuple[User, str]:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    return user, plaintext


async def test_existing_contacts_are_updated_by_non_empty_cells_only(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    user, key = owner
    await create_contact(
        db,
        user,
        "+5511987654321",
        name="Ana Antiga",
        birth_date=date(1990, 1, 1),
        attributes={"cidade": "Recife"},
    )
    await create_contact(db, user, "+5521998765432", name="Bia", birth_date=None)
    await create_contact(db, user, "+5531987654321", name="Caio")
    data = csv_bytes(
        [
            "Nome;Telefone;Nascimento;Bairro",
            ";(11) 98765-4321;;Boa Viagem",  # empty name and date: kept; new column merged
            "Bia;21 99876-5432;05/05/1985;",  # date filled in
            "Caio;31987654321;;",  # nothing new: unchanged
            "Davi;41987654321;;",  # new
        ]
    )
    response = await upload(client, key, data)
    counts = response.json()["counts"]
    assert counts == {
        "read": 4,
        "imported": 1,
        "updated": 2,
        "unchanged": 1,
        "duplicates": 0,
        "rejected": 0,
        "warned": 0,
    }
    saved = await contacts_of(db, user)
    assert saved["+5511987654321"].name == "Ana Antiga"
    assert saved["+5511987654321"].birth_date == date(1990, 1, 1)
    assert saved["+5511987654321"].attributes == {"cidade": "Recife", "bairro": "Boa Viagem"}
    assert saved["+5521998765432"].birth_date == date(1985, 5, 5)
    assert saved["+5541987654321"].name == "Davi"


async def test_within_a_file_the_first_row_wins_and_later_rows_fill_blanks(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    user, key = owner
    data = csv_bytes(
        [
            "Nome;Telefone;Nascimento;Cidade",
            "Ana;11987654321;;",
            "ANA MARIA;(11) 98765-4321;31/12/1990;Olinda",
            "Outra Ana;+55 11 98765 4321;01/01/1970;Recife",
        ]
    )
    report = (await upload(client, key, data)).json()
    assert report["counts"]["duplicates"] == 2 and report["counts"]["imported"] == 1
    merged = [p for p in report["problems"] if p["outcome"] == "merged_duplicate"]
    assert [p["line"] for p in merged] == [3, 4]
    assert "linha 2" in merged[0]["reason"]
    contact = (await contacts_of(db, user))["+5511987654321"]
    assert (contact.name, contact.birth_date, contact.attributes) == (
        "Ana",
        date(1990, 12, 31),
        {"cidade": "Olinda"},
    )


async def test_import_into_a_list_by_name_creates_it_and_never_doubles_members(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    _user, key = owner
    data = csv_bytes(["Telefone", "11987654321", "21998765432", "123"])
    first = (await upload(client, key, data, list_name="Jovens")).json()
    second = (await upload(client, key, data, list_name="Jovens")).json()
    assert first["list_id"] == second["list_id"]
    assert await members_of(db, first["list_id"]) == 2
    lists = (await client.get("/api/v1/lists", headers=bearer(key))).json()
    assert [(li["name"], li["member_count"]) for li in lists] == [("Jovens", 2)]
    assert second["counts"]["unchanged"] == 2


async def test_report_csv_names_line_outcome_and_reason_and_defuses_formulas(
    client: httpx.AsyncClient, owner: tuple[User, str]
) -> None:
    _user, key = owner
    data = csv_bytes(
        ["Nome;Telefone;Nascimento", '=HYPERLINK("http://x");123;', "Bia;11987654321;31/02/1990"]
    )
    report = (await upload(client, key, data)).json()
    response = await client.get(report["report_url"], headers=bearer(key))
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "linha;resultado;motivo;dados"
    assert lines[1].startswith("2;rejected;quantidade de dígitos impossível")
    import csv as csv_module

    for row in csv_module.reader(lines, delimiter=";"):
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row), row
    assert lines[2].startswith(
        "3;imported_without_birth_date;data de nascimento '31/02/1990' inválida"
    )


async def test_preview_shows_what_will_be_read_without_saving(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    user, key = owner
    data = b"\xef\xbb\xbf" + csv_bytes(["Nome;Celular;Cidade", "Ana;11987654321;Recife"])
    response = await client.post(
        "/api/v1/contacts/imports/preview", files={"file": ("a.csv", data)}, headers=bearer(key)
    )
    body = response.json()
    assert (body["encoding"], body["delimiter"], body["has_header"]) == ("utf-8-sig", ";", True)
    assert body["mapping"] == {"phone": "Celular", "name": "Nome", "birth_date": None}
    assert body["extras"] == ["cidade"]
    assert body["rows"] == [["Nome", "Celular", "Cidade"], ["Ana", "11987654321", "Recife"]]
    assert await contacts_of(db, user) == {}


async def test_unreadable_file_is_422_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    user, key = owner
    response = await upload(client, key, b"\x89PNG\r\n\x1a\n\x00\x00", filename="foto.png")
    assert response.status_code == 422
    assert response.json()["detail"] == "O arquivo não parece ser uma planilha ou CSV."
    imports = (
        await db.execute(
            select(func.count()).select_from(ContactImport).where(ContactImport.user_id == user.id)
        )
    ).scalar_one()
    assert imports == 0


async def test_file_over_the_size_limit_is_413(
    client: httpx.AsyncClient, owner: tuple[User, str], settings: object
) -> None:
    _user, key = owner
    settings.max_import_mb = 1  # type: ignore[attr-defined]
    response = await upload(client, key, b"11987654321\n" * 100_000)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


async def test_typed_numbers_go_through_the_same_rules(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, str]
) -> None:
    user, key = owner
    text = "11 98765 4321, (21) 99876-5432; 31987654321\n979632677 11987654321"
    response = await client.post(
        "/api/v1/contacts/imports/text", json={"text": text}, headers=bearer(key)
    )
    body = response.json()
    assert body["source"] == "text"
    assert body["counts"] == {
        "read": 5,
        "imported": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 1,
        "rejected": 1,
        "warned": 0,
    }
    assert [(p["line"], p["outcome"]) for p in body["problems"]] == [
        (4, "rejected"),
        (5, "merged_duplicate"),
    ]
    assert set(await contacts_of(db, user)) == {
        "+5511987654321",
        "+5521998765432",
        "+5531987654321",
    }


async def test_typed_numbers_with_a_default_area_code(
    client: httpx.AsyncClient, owner: tuple[User, str]
) -> None:
    _user, key = owner
    body = (
        await client.post(
            "/api/v1/contacts/imports/text",
            json={"text": "98765-4321", "default_area_code": "81"},
            headers=bearer(key),
        )
    ).json()
    assert body["counts"]["imported"] == 1


async def test_bad_mapping_json_is_a_clear_error(
    client: httpx.AsyncClient, owner: tuple[User, str]
) -> None:
    _user, key = owner
    response = await upload(client, key, csv_bytes(["Telefone", "11987654321"]), mapping="{phone:")
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


async def test_a_failure_midway_leaves_nothing_half_imported(
    committed_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(committed_url, pool_size=2)
    new = new_api_key()
    async with transaction(create_sessionmaker(engine)) as session:
        user = User(email="ana@example.com", name="Ana", password_hash=hash_password("x" * 12))
        session.add(user)
        await session.flush()
        session.add(ApiKey(user_id=user.id, name="k", prefix=new.prefix, key_hash=new.key_hash))

    async def explode(*_args: object) -> None:
        raise RuntimeError("disk full")

    # The contacts are already upserted when the report is written: fail right there.
    monkeypatch.setattr("zapflow.contacts.importer._copy_problems", explode)
    app = create_app(make_settings(committed_url, tmp_path), engine)
    transport = httpx.ASGITransport(app=app, client=(random_ip(), 1), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await upload(
            http, new.plaintext, csv_bytes(["Telefone", "11987654321", "123"]), list_name="Nova"
        )
    assert response.status_code == 500
    async with transaction(create_sessionmaker(engine)) as session:
        for model in (Contact, ContactImport, ContactList):
            assert (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one() == 0
    await engine.dispose()

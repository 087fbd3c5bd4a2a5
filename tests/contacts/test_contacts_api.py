from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.contacts.helpers import create_contact, create_list, members_of
from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.models import User


@pytest.fixture
async def owner(db: AsyncSession) -> tuple[User, dict[str, str]]:
    user = await create_user(db)
    _key, plaintext = await create_api_key(db, user)
    return user, bearer(plaintext)


async def test_create_normalizes_phone_and_date(
    client: httpx.AsyncClient, owner: tuple[User, dict[str, str]]
) -> None:
    _user, headers = owner
    body = {
        "phone": "(81) 9876-5432",
        "name": "Zé",
        "birth_date": "29/02/1996",
        "attributes": {"igreja": "Sede"},
    }
    response = await client.post("/api/v1/contacts", json=body, headers=headers)
    assert response.status_code == 201
    created = response.json()
    assert (created["phone"], created["birth_date"], created["attributes"]) == (
        "+5581998765432",
        "1996-02-29",
        {"igreja": "Sede"},
    )


async def test_create_refuses_bad_phone_bad_date_and_duplicates(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, dict[str, str]]
) -> None:
    user, headers = owner
    bad_phone = await client.post("/api/v1/contacts", json={"phone": "98765-4321"}, headers=headers)
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"] == "Telefone '98765-4321' inválido: telefone sem DDD."
    bad_date = await client.post(
        "/api/v1/contacts",
        json={"phone": "11987654321", "birth_date": "31/02/1990"},
        headers=headers,
    )
    assert bad_date.status_code == 422 and "31/02/1990" in bad_date.json()["detail"]
    await create_contact(db, user, "+5511987654321")
    duplicate = await client.post(
        "/api/v1/contacts", json={"phone": "011 98765-4321"}, headers=headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "Já existe um contato com o telefone +5511987654321."


async def test_update_and_delete(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, dict[str, str]]
) -> None:
    user, headers = owner
    contact = await create_contact(db, user)
    updated = await client.patch(
        f"/api/v1/contacts/{contact.id}",
        json={"name": "Ana Maria", "birth_date": "1990-01-02"},
        headers=headers,
    )
    assert updated.json()["name"] == "Ana Maria" and updated.json()["birth_date"] == "1990-01-02"
    cleared = await client.patch(
        f"/api/v1/contacts/{contact.id}", json={"birth_date": None}, headers=headers
    )
    assert cleared.json()["birth_date"] is None and cleared.json()["name"] == "Ana Maria"
    assert (
        await client.delete(f"/api/v1/contacts/{contact.id}", headers=headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/contacts/{contact.id}", headers=headers)).status_code == 404


async def test_listing_searches_and_pages_by_keyset(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, dict[str, str]]
) -> None:
    user, headers = owner
    for i in range(5):
        await create_contact(db, user, f"+551198765432{i}", name=f"Pessoa {i}")
    await create_contact(db, user, "+5521998765432", name="Joana")
    found = (await client.get("/api/v1/contacts?q=joa", headers=headers)).json()["items"]
    assert [c["name"] for c in found] == ["Joana"]
    by_digits = (await client.get("/api/v1/contacts?q=(21) 99876", headers=headers)).json()["items"]
    assert [c["name"] for c in by_digits] == ["Joana"]
    first = (await client.get("/api/v1/contacts?limit=4", headers=headers)).json()
    second = (
        await client.get(
            f"/api/v1/contacts?limit=4&before_id={first['next_cursor']}", headers=headers
        )
    ).json()
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(ids) == 6 == len(set(ids)) and second["next_cursor"] is None


async def test_lists_and_members(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, dict[str, str]]
) -> None:
    user, headers = owner
    created = await client.post("/api/v1/lists", json={"name": "Coral"}, headers=headers)
    assert created.status_code == 201
    list_id = created.json()["id"]
    assert (
        await client.post("/api/v1/lists", json={"name": "Coral"}, headers=headers)
    ).status_code == 409
    a, b = (
        await create_contact(db, user, "+5511987654321"),
        await create_contact(db, user, "+5511987654322"),
    )
    added = await client.post(
        f"/api/v1/lists/{list_id}/members", json={"contact_ids": [a.id, b.id]}, headers=headers
    )
    assert added.json() == {"added": 2}
    again = await client.post(
        f"/api/v1/lists/{list_id}/members", json={"contact_ids": [a.id]}, headers=headers
    )
    assert again.json() == {"added": 0}
    in_list = (await client.get(f"/api/v1/contacts?list_id={list_id}", headers=headers)).json()[
        "items"
    ]
    assert {c["id"] for c in in_list} == {a.id, b.id}
    assert (
        await client.delete(f"/api/v1/lists/{list_id}/members/{a.id}", headers=headers)
    ).status_code == 204
    assert await members_of(db, list_id) == 1
    assert (await client.delete(f"/api/v1/lists/{list_id}", headers=headers)).status_code == 204
    assert (
        await client.get(f"/api/v1/contacts/{b.id}", headers=headers)
    ).status_code == 200  # contacts stay


async def test_another_users_contact_cannot_join_my_list(
    client: httpx.AsyncClient, db: AsyncSession, owner: tuple[User, dict[str, str]]
) -> None:
    user, headers = owner
    stranger = await create_user(db)
    theirs = await create_contact(db, stranger, "+5511911112222")
    mine = await create_list(db, user)
    response = await client.post(
        f"/api/v1/lists/{mine.id}/members", json={"contact_ids": [theirs.id]}, headers=headers
    )
    assert response.status_code == 404
    assert await members_of(db, mine.id) == 0

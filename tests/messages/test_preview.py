from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.contacts.helpers import create_contact
from tests.helpers.users import bearer, create_api_key, create_user
from zapflow.models import Engine, Message, WhatsAppSession


async def test_preview_fills_a_contacts_name_and_columns(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    _k, key = await create_api_key(db, user)
    await create_contact(
        db,
        user,
        "+5511987654321",
        name="Ana Conceição",
        birth_date=date(1990, 12, 31),
        attributes={"Igreja": "Sede"},
    )
    body = {
        "to": "(11) 98765-4321",
        "text": "{Olá|Oi} {{primeiro_nome}} da {{igreja}}! {{apelido}}",
        "seed": "s1",
    }
    response = await client.post("/api/v1/messages/preview", json=body, headers=bearer(key))
    assert response.status_code == 200
    preview = response.json()
    assert preview["text"].split(" ", 1)[1] == "Ana da Sede! "
    assert preview["text"].split(" ", 1)[0] in {"Olá", "Oi"}
    assert preview["variables"] == ["primeiro_nome", "igreja", "apelido"] and preview[
        "missing"
    ] == ["apelido"]
    again = await client.post("/api/v1/messages/preview", json=body, headers=bearer(key))
    assert again.json()["text"] == preview["text"]  # the same seed, the same variant


async def test_bad_templates_are_explained(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await create_user(db)
    _k, key = await create_api_key(db, user)
    response = await client.post(
        "/api/v1/messages/preview",
        json={"to": "11987654321", "text": "{{ nome.__class__ }}"},
        headers=bearer(key),
    )
    assert response.status_code == 422 and "variável inválida" in response.json()["detail"]


async def test_a_queued_message_stores_its_rendered_text(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await create_user(db)
    _k, key = await create_api_key(db, user)
    contact = await create_contact(db, user, "+5521998765432", name="Bia")
    session = WhatsAppSession(user_id=user.id, name="L", engine=Engine.simulator)
    db.add(session)
    await db.flush()
    body = {"session_id": session.id, "to": "21 99876-5432", "text": "Oi {{nome}} 🎂"}
    created = await client.post("/api/v1/messages", json=body, headers=bearer(key))
    assert created.status_code == 201 and created.json()["body"] == "Oi Bia 🎂"
    row = (await db.execute(select(Message).where(Message.id == created.json()["id"]))).scalar_one()
    assert row.contact_id == contact.id

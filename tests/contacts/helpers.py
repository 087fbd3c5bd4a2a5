"""Typed helpers for contacts in tests."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers.users import bearer
from zapflow.models import Contact, ContactList, ContactListMember, User


async def create_contact(
    session: AsyncSession,
    owner: User,
    phone: str = "+5511987654321",
    *,
    name: str | None = "Ana",
    birth_date: date | None = None,
    attributes: dict[str, str] | None = None,
) -> Contact:
    contact = Contact(
        user_id=owner.id, phone=phone, name=name, birth_date=birth_date, attributes=attributes or {}
    )
    session.add(contact)
    await session.flush()
    return contact


async def create_list(session: AsyncSession, owner: User, name: str = "Clientes") -> ContactList:
    contact_list = ContactList(user_id=owner.id, name=name)
    session.add(contact_list)
    await session.flush()
    return contact_list


async def contacts_of(session: AsyncSession, owner: User) -> dict[str, Contact]:
    rows = await session.execute(
        select(Contact).where(Contact.user_id == owner.id).execution_options(populate_existing=True)
    )
    return {c.phone: c for c in rows.scalars()}


async def members_of(session: AsyncSession, list_id: int) -> int:
    return int(
        (
            await session.execute(select(func.count()).where(ContactListMember.list_id == list_id))
        ).scalar_one()
    )


async def upload(
    client: httpx.AsyncClient, key: str, data: bytes, filename: str = "contatos.csv", **form: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/contacts/imports",
        files={"file": (filename, data, "text/csv")},
        data=form,
        headers=bearer(key),
    )

"""Queries on contacts and lists, always scoped to their owner."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal, owned_by
from zapflow.models import (
    Contact,
    ContactImport,
    ContactImportRejection,
    ContactList,
    ContactListMember,
)


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: int
) -> Contact | None:
    stmt = select(Contact).where(Contact.id == contact_id, owned_by(principal, Contact))
    return (await session.execute(stmt)).scalar_one_or_none()


async def page_contacts(
    session: AsyncSession,
    principal: Principal,
    *,
    search: str | None,
    list_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[Contact]:
    stmt = (
        select(Contact).where(owned_by(principal, Contact)).order_by(Contact.id.desc()).limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(Contact.id < before_id)
    if list_id is not None:
        stmt = stmt.join(ContactListMember, ContactListMember.contact_id == Contact.id).where(
            ContactListMember.list_id == list_id
        )
    if search:
        pattern = f"%{search.strip()}%"
        digits = "".join(ch for ch in search if ch.isdigit())
        condition: ColumnElement[bool] = Contact.name.ilike(pattern)
        if digits:
            condition = condition | Contact.phone.contains(digits)
        stmt = stmt.where(condition)
    return list((await session.execute(stmt)).scalars())


async def get_list(session: AsyncSession, principal: Principal, list_id: int) -> ContactList | None:
    stmt = select(ContactList).where(ContactList.id == list_id, owned_by(principal, ContactList))
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_list_by_name(session: AsyncSession, user_id: int, name: str) -> ContactList | None:
    stmt = select(ContactList).where(ContactList.user_id == user_id, ContactList.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lists_with_counts(
    session: AsyncSession, principal: Principal
) -> list[tuple[ContactList, int]]:
    members = (
        select(func.count()).where(ContactListMember.list_id == ContactList.id).scalar_subquery()
    )
    stmt = (
        select(ContactList, members)
        .where(owned_by(principal, ContactList))
        .order_by(ContactList.name)
    )
    return [(row[0], int(row[1])) for row in await session.execute(stmt)]


async def member_count(session: AsyncSession, list_id: int) -> int:
    stmt = select(func.count()).where(ContactListMember.list_id == list_id)
    return int((await session.execute(stmt)).scalar_one())


async def get_import(
    session: AsyncSession, principal: Principal, import_id: int
) -> ContactImport | None:
    stmt = select(ContactImport).where(
        ContactImport.id == import_id, owned_by(principal, ContactImport)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_imports(
    session: AsyncSession, principal: Principal, limit: int
) -> list[ContactImport]:
    stmt = (
        select(ContactImport)
        .where(owned_by(principal, ContactImport))
        .order_by(ContactImport.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def import_problems(
    session: AsyncSession, import_id: int, limit: int | None = None
) -> list[ContactImportRejection]:
    stmt = (
        select(ContactImportRejection)
        .where(ContactImportRejection.import_id == import_id)
        .order_by(ContactImportRejection.line, ContactImportRejection.outcome)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())

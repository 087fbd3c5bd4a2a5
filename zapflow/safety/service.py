"""The opt-out list (by keyword, by hand, or suppressed after failures) and the per-number
failure log. The dispatcher checks the list at send time."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.auth.principal import Principal, get_owned, owned_by
from zapflow.db.unique import flush_unique
from zapflow.errors import Conflict, NotFound
from zapflow.messages.service import recipient_phone
from zapflow.models import NumberFailure, OptOut, OptOutSource


async def listing(
    db: AsyncSession, principal: Principal, phone: str | None, locale: str, limit: int
) -> list[OptOut]:
    stmt = select(OptOut).where(owned_by(principal, OptOut))
    if phone:
        stmt = stmt.where(OptOut.phone == recipient_phone(phone, locale))
    stmt = stmt.order_by(OptOut.created_at.desc(), OptOut.id.desc()).limit(limit)
    return list((await db.execute(stmt)).scalars())


async def add(
    db: AsyncSession, principal: Principal, phone: str, note: str | None, locale: str
) -> OptOut:
    e164 = recipient_phone(phone, locale)
    entry = OptOut(user_id=principal.user_id, phone=e164, source=OptOutSource.manual, note=note)
    await flush_unique(db, Conflict("optouts.exists", phone=e164), entry)
    await audit.record(
        db, principal.audit, "opt_out.added", target_type="opt_out", target_id=entry.id
    )
    return entry


async def remove(db: AsyncSession, principal: Principal, opt_out_id: int) -> None:
    """Take a number off the list (it asked to receive messages again)."""
    result = await db.execute(
        delete(OptOut).where(OptOut.id == opt_out_id, owned_by(principal, OptOut))
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("opt_out")
    await audit.record(
        db, principal.audit, "opt_out.removed", target_type="opt_out", target_id=opt_out_id
    )


async def failures(
    db: AsyncSession, principal: Principal, phone: str | None, locale: str, limit: int
) -> list[NumberFailure]:
    stmt = select(NumberFailure).where(owned_by(principal, NumberFailure))
    if phone:
        stmt = stmt.where(NumberFailure.phone == recipient_phone(phone, locale))
    stmt = stmt.order_by(NumberFailure.at.desc(), NumberFailure.id.desc()).limit(limit)
    return list((await db.execute(stmt)).scalars())


async def get_opt_out(db: AsyncSession, principal: Principal, opt_out_id: int) -> OptOut:
    return await get_owned(db, principal, OptOut, opt_out_id, "opt_out")


async def get_failure(db: AsyncSession, principal: Principal, failure_id: int) -> NumberFailure:
    return await get_owned(db, principal, NumberFailure, failure_id, "number_failure")

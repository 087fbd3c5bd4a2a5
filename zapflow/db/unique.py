"""Writes that may hit a unique index: the database decides, even under a race."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.errors import Conflict


async def flush_unique(db: AsyncSession, conflict: Conflict, *new_rows: object) -> None:
    """Add `new_rows` (if any) and flush in a savepoint; a unique violation becomes `conflict`
    (a 409 for the caller), and the session stays usable."""
    try:
        async with db.begin_nested():
            db.add_all(new_rows)
            await db.flush()
    except IntegrityError as exc:
        raise conflict from exc

"""Individual messages into the outbox, and the message log. Every message is a row before
anything is sent; the worker holding the session sends it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal, owned_by
from zapflow.db.notify import OUTBOX_CHANNEL, notify
from zapflow.errors import Invalid, NotFound
from zapflow.kit.phones import describe, normalize_phone
from zapflow.media import service as media_service
from zapflow.messages.schemas import MessageIn
from zapflow.models import Message, MessageSource, MessageStatus, MessageType
from zapflow.sessions import service as sessions_service


async def create_individual(
    db: AsyncSession, principal: Principal, data: MessageIn, locale: str
) -> Message:
    session = await sessions_service.get(db, principal, data.session_id)
    phone = normalize_phone(data.to)
    if phone.e164 is None:
        assert phone.problem is not None
        raise Invalid(
            "contacts.invalid_phone", raw=data.to, problem=describe(phone.problem, locale)
        )
    kind = MessageType.text
    if data.media_id is not None:
        kind = (await media_service.get(db, principal, data.media_id)).kind
    now = datetime.now(UTC)
    due = data.scheduled_at.astimezone(UTC) if data.scheduled_at else now
    message = Message(
        user_id=session.user_id,
        session_id=session.id,
        source=MessageSource.individual,
        recipient=phone.e164,
        message_type=kind,
        body=data.text,
        media_id=data.media_id,
        status=MessageStatus.scheduled if due > now else MessageStatus.queued,
        due_at=due,
    )
    db.add(message)
    await db.flush()
    await notify(db, OUTBOX_CHANNEL, str(session.id))  # delivered on commit: the worker wakes
    await db.refresh(message)
    return message


async def get(db: AsyncSession, principal: Principal, message_id: int) -> Message:
    stmt = select(Message).where(Message.id == message_id, owned_by(principal, Message))
    message = (await db.execute(stmt)).scalar_one_or_none()
    if message is None:
        raise NotFound("message")
    return message


def _after_cursor(stmt: Select[Message], cursor: str | None) -> Select[Message]:
    if not cursor:
        return stmt
    try:
        at_text, id_text = base64.urlsafe_b64decode(cursor.encode()).decode().rsplit("|", 1)
        at, last_id = datetime.fromisoformat(at_text), int(id_text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("messages.bad_cursor") from exc
    return stmt.where(
        or_(Message.created_at < at, and_(Message.created_at == at, Message.id < last_id))
    )


async def page(
    db: AsyncSession,
    principal: Principal,
    *,
    statuses: list[MessageStatus] | None,
    session_id: int | None,
    campaign_id: int | None,
    message_type: MessageType | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Message], str | None]:
    """The message log, newest first, keyset-paginated on (created_at, id)."""
    stmt = select(Message).where(owned_by(principal, Message))
    for column, value in (
        (Message.session_id, session_id),
        (Message.campaign_id, campaign_id),
        (Message.message_type, message_type),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if statuses:
        stmt = stmt.where(Message.status.in_(statuses))
    if since is not None:
        stmt = stmt.where(Message.created_at >= since)
    if until is not None:
        stmt = stmt.where(Message.created_at < until)
    stmt = (
        _after_cursor(stmt, cursor)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    items = list((await db.execute(stmt)).scalars())
    last = items[-1] if len(items) == limit else None
    if last is None:
        return items, None
    cursor_text = f"{last.created_at.isoformat()}|{last.id}"
    return items, base64.urlsafe_b64encode(cursor_text.encode()).decode()  # opaque, URL-safe

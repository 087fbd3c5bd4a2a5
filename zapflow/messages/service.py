"""Individual messages into the outbox, and the message log. Every message is a row before
anything is sent; the worker holding the session sends it."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.auth.principal import Principal, get_owned, owned_by
from zapflow.config import Settings
from zapflow.db.notify import OUTBOX_CHANNEL, notify
from zapflow.errors import Invalid
from zapflow.kit import templates
from zapflow.kit.clock import local_to_utc
from zapflow.kit.phones import describe, normalize_phone
from zapflow.kit.templates import Template, TemplateError
from zapflow.media import remote
from zapflow.media import service as media_service
from zapflow.messages.schemas import MessageIn, PreviewIn, PreviewOut
from zapflow.models import Contact, Message, MessageSource, MessageStatus, MessageType
from zapflow.sessions import service as sessions_service


def recipient_phone(raw: str, locale: str) -> str:
    phone = normalize_phone(raw)
    if phone.e164 is None:
        assert phone.problem is not None
        raise Invalid("contacts.invalid_phone", raw=raw, problem=describe(phone.problem, locale))
    return phone.e164


def checked_template(text: str) -> Template:
    try:
        return templates.parse(text)
    except TemplateError as exc:
        raise Invalid("messages.bad_template", problem=str(exc)) from exc


async def recipient_values(
    db: AsyncSession, user_id: int, phone: str
) -> tuple[dict[str, str], int | None]:
    """Template variables for a number: its contact's data if the owner has one."""
    stmt = select(Contact).where(Contact.user_id == user_id, Contact.phone == phone)
    contact = (await db.execute(stmt)).scalar_one_or_none()
    if contact is None:
        return templates.contact_values(None, phone, None, {}), None
    birth = contact.birth_date.strftime("%d/%m/%Y") if contact.birth_date else None
    values = templates.contact_values(contact.name, phone, birth, contact.attributes)
    return values, contact.id


async def preview(
    db: AsyncSession, principal: Principal, data: PreviewIn, locale: str
) -> PreviewOut:
    """The message as this recipient would get it."""
    phone = recipient_phone(data.to, locale)
    template = checked_template(data.text)
    values, contact_id = await recipient_values(db, principal.user_id, phone)
    missing = [name for name in template.variables if not values.get(name)]
    return PreviewOut(
        text=template.render(values, data.seed),
        variables=list(template.variables),
        missing=missing,
        contact_id=contact_id,
    )


async def create_individual(
    db: AsyncSession, principal: Principal, data: MessageIn, locale: str, settings: Settings
) -> Message:
    """Queue one message; its text is a template, rendered now for this recipient."""
    session = await sessions_service.get(db, principal, data.session_id)
    recipient = recipient_phone(data.to, locale)
    body, contact_id = None, None
    if data.text:
        values, contact_id = await recipient_values(db, session.user_id, recipient)
        body = checked_template(data.text).render(values, seed=secrets.token_hex(8))
    kind, media_id = MessageType.text, data.media_id
    if media_id is not None:
        kind = (await media_service.get(db, principal, media_id)).kind
    elif data.media_url:
        content, filename = await remote.fetch(data.media_url, settings)
        media = await media_service.store(db, principal, settings, content, filename)
        kind, media_id = media.kind, media.id
    now = datetime.now(UTC)
    due = local_to_utc(data.scheduled_at, principal.user.timezone) if data.scheduled_at else now
    message = Message(
        user_id=session.user_id,
        session_id=session.id,
        contact_id=contact_id,
        source=MessageSource.individual,
        recipient=recipient,
        message_type=kind,
        body=body,
        media_id=media_id,
        media_url=data.media_url,
        status=MessageStatus.scheduled if due > now else MessageStatus.queued,
        due_at=due,
    )
    db.add(message)
    await db.flush()
    await notify(db, OUTBOX_CHANNEL, str(session.id))  # delivered on commit: the worker wakes
    await db.refresh(message)
    return message


async def get(db: AsyncSession, principal: Principal, message_id: int) -> Message:
    return await get_owned(db, principal, Message, message_id, "message")


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

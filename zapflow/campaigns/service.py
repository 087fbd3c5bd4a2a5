"""Campaigns: one message to many, sent by a pool of sessions.

Creating a campaign writes one outbox row per recipient at once, rendered for that recipient,
in the same transaction as the campaign: it exists whole or not at all, and the unique index
on (campaign, recipient) makes a second message to anyone impossible. The worker's
dispatchers do the rest (see zapflow/worker/dispatcher.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.auth.principal import Principal, get_owned, owned_by
from zapflow.campaigns.eta import Eta, SessionCapacity, estimate
from zapflow.campaigns.schemas import CampaignBase, CampaignIn, EstimateIn, Pacing
from zapflow.config import Settings
from zapflow.contacts import service as contacts_service
from zapflow.contacts.manual import parse_typed_numbers
from zapflow.contacts.parsing import Problem
from zapflow.db.notify import OUTBOX_CHANNEL, notify
from zapflow.errors import Conflict, Invalid, NotFound
from zapflow.kit import templates
from zapflow.kit.clock import local_to_utc
from zapflow.kit.pacing import warmup_caps, window_of
from zapflow.media import remote
from zapflow.media import service as media_service
from zapflow.messages.service import checked_template
from zapflow.models import (
    Campaign,
    CampaignKind,
    CampaignSession,
    CampaignStatus,
    Contact,
    ContactListMember,
    Message,
    MessageSource,
    MessageStatus,
    MessageType,
    OptOut,
    SessionStatus,
)
from zapflow.sessions import service as sessions_service

INSERT_CHUNK = 1000
PENDING = (MessageStatus.queued, MessageStatus.scheduled, MessageStatus.sending)


@dataclass(frozen=True)
class Recipient:
    phone: str
    contact_id: int | None
    values: dict[str, str]


# --- creating ---------------------------------------------------------------------------------


async def create(
    db: AsyncSession, principal: Principal, data: CampaignIn, settings: Settings, locale: str
) -> Campaign:
    if data.list_id is not None:
        contact_list = await contacts_service.get_list(db, principal, data.list_id)
        recipients = await _list_recipients(db, principal.user_id, contact_list.id)
        audience: dict[str, object] = {"list_id": contact_list.id, "list_name": contact_list.name}
        source = MessageSource.bulk
    else:
        recipients = await _typed_recipients(db, principal.user_id, data.numbers or "", locale)
        audience = {"numbers": len(recipients)}
        source = MessageSource.bulk
    return await _create(db, principal, data, settings, recipients, audience, source)


async def create_for_import(
    db: AsyncSession,
    principal: Principal,
    data: CampaignBase,
    settings: Settings,
    *,
    list_id: int,
    import_id: int,
) -> Campaign:
    """A campaign to everyone a CSV just imported into `list_id` (rejected rows excluded)."""
    recipients = await _list_recipients(db, principal.user_id, list_id)
    audience: dict[str, object] = {"import_id": import_id, "list_id": list_id}
    return await _create(db, principal, data, settings, recipients, audience, MessageSource.csv)


async def _create(
    db: AsyncSession,
    principal: Principal,
    data: CampaignBase,
    settings: Settings,
    recipients: list[Recipient],
    audience: dict[str, object],
    source: MessageSource,
) -> Campaign:
    if not recipients:
        raise Invalid("campaigns.no_recipients")
    zone = _zone(data.timezone or principal.user.timezone)
    sessions = [
        await sessions_service.get(db, principal, sid) for sid in dict.fromkeys(data.session_ids)
    ]
    template = checked_template(data.text) if data.text else None
    media_id, kind = await _media(db, principal, data, settings)
    now = datetime.now(UTC)
    due = local_to_utc(data.scheduled_at, zone) if data.scheduled_at else now
    campaign = Campaign(
        user_id=principal.user_id,
        name=data.name,
        kind=CampaignKind.bulk,
        status=CampaignStatus.scheduled if due > now else CampaignStatus.running,
        message_type=kind,
        body_template=data.text,
        media_id=media_id,
        media_url=data.media_url,
        scheduled_at=due if due > now else None,
        timezone=zone,
        audience=audience,
        **_pacing_columns(data),
    )
    db.add(campaign)
    await db.flush()
    db.add_all(CampaignSession(campaign_id=campaign.id, session_id=s.id) for s in sessions)
    opted_out = await _opted_out(db, principal.user_id)
    rows = [_row(campaign, r, template, source, due, now, r.phone in opted_out) for r in recipients]
    for start in range(0, len(rows), INSERT_CHUNK):
        await db.execute(insert(Message), rows[start : start + INSERT_CHUNK])
    await audit.record(
        db,
        principal.audit,
        "campaign.created",
        target_type="campaign",
        target_id=campaign.id,
        details={"recipients": len(rows), "sessions": [s.id for s in sessions]},
    )
    await notify(db, OUTBOX_CHANNEL, "")
    await db.flush()
    await _complete_if_nothing_to_send(db, campaign)
    return campaign


def _pacing_columns(data: Pacing) -> dict[str, object]:
    return {
        "min_delay_ms": int(data.min_delay_seconds * 1000),
        "max_delay_ms": int(data.max_delay_seconds * 1000),
        "send_window_start": data.send_window_start,
        "send_window_end": data.send_window_end,
    }


def _row(
    campaign: Campaign,
    recipient: Recipient,
    template: templates.Template | None,
    source: MessageSource,
    due: datetime,
    now: datetime,
    opted_out: bool,
) -> dict[str, object]:
    body = None
    if template is not None:  # seeded per recipient: a preview shows exactly what they get
        body = template.render(recipient.values, seed=f"{campaign.id}:{recipient.phone}")
    status = MessageStatus.scheduled if due > now else MessageStatus.queued
    return {
        "user_id": campaign.user_id,
        "campaign_id": campaign.id,
        "contact_id": recipient.contact_id,
        "source": source,
        "recipient": recipient.phone,
        "message_type": campaign.message_type,
        "body": body,
        "media_id": campaign.media_id,
        "media_url": campaign.media_url,
        "status": MessageStatus.skipped if opted_out else status,
        "status_reason": "opted_out" if opted_out else None,
        "due_at": due,
    }


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid("campaigns.bad_timezone", zone=name) from exc
    return name


async def _media(
    db: AsyncSession, principal: Principal, data: CampaignBase, settings: Settings
) -> tuple[int | None, MessageType]:
    if data.media_id is not None:
        media = await media_service.get(db, principal, data.media_id)
        return media.id, media.kind
    if data.media_url:
        body, filename = await remote.fetch(data.media_url, settings)
        media = await media_service.store(db, principal, settings, body, filename)
        return media.id, media.kind
    return None, MessageType.text


async def _typed_recipients(
    db: AsyncSession, user_id: int, numbers: str | list[str], locale: str
) -> list[Recipient]:
    """Typed numbers: all valid, or a 422 naming each bad one (nothing is created)."""
    typed = numbers if isinstance(numbers, str) else "\n".join(numbers)
    phones, problems = [], []
    for item in parse_typed_numbers(typed, None, locale):
        if isinstance(item, Problem):
            problems.append(f"#{item.line} {item.reason}")
        else:
            phones.append(item.phone)
    if problems:
        shown = "; ".join(problems[:20]) + ("; …" if len(problems) > 20 else "")
        raise Invalid("campaigns.bad_numbers", count=len(problems), problems=shown)
    unique = list(dict.fromkeys(phones))
    contacts = {
        c.phone: c
        for c in (
            await db.execute(
                select(Contact).where(Contact.user_id == user_id, Contact.phone.in_(unique))
            )
        ).scalars()
    }
    return [_recipient(phone, contacts.get(phone)) for phone in unique]


async def _list_recipients(db: AsyncSession, user_id: int, list_id: int) -> list[Recipient]:
    stmt = (
        select(Contact)
        .join(ContactListMember, ContactListMember.contact_id == Contact.id)
        .where(ContactListMember.list_id == list_id, Contact.user_id == user_id)
        .order_by(ContactListMember.added_at, Contact.id)
    )
    return [_recipient(c.phone, c) for c in (await db.execute(stmt)).scalars()]


def _recipient(phone: str, contact: Contact | None) -> Recipient:
    if contact is None:
        return Recipient(phone, None, templates.contact_values(None, phone, None, {}))
    birth = contact.birth_date.strftime("%d/%m/%Y") if contact.birth_date else None
    values = templates.contact_values(contact.name, phone, birth, contact.attributes)
    return Recipient(phone, contact.id, values)


async def _opted_out(db: AsyncSession, user_id: int) -> set[str]:
    return set((await db.execute(select(OptOut.phone).where(OptOut.user_id == user_id))).scalars())


async def _complete_if_nothing_to_send(db: AsyncSession, campaign: Campaign) -> None:
    if campaign.status is CampaignStatus.running and not await _pending(db, campaign.id):
        campaign.status, campaign.finished_at = CampaignStatus.completed, datetime.now(UTC)
        await db.flush()


async def _pending(db: AsyncSession, campaign_id: int) -> int:
    stmt = select(func.count()).where(
        Message.campaign_id == campaign_id, Message.status.in_(PENDING)
    )
    return int((await db.execute(stmt)).scalar_one())


# --- reading ----------------------------------------------------------------------------------


async def get(db: AsyncSession, principal: Principal, campaign_id: int) -> Campaign:
    return await get_owned(db, principal, Campaign, campaign_id, "campaign")


async def listing(db: AsyncSession, principal: Principal, limit: int) -> list[Campaign]:
    stmt = (
        select(Campaign)
        .where(owned_by(principal, Campaign))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars())


async def counts(db: AsyncSession, campaign_id: int) -> dict[str, int]:
    stmt = (
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign_id)
        .group_by(Message.status)
    )
    return {str(status): int(n) for status, n in (await db.execute(stmt)).all()}


async def pool_ids(db: AsyncSession, campaign_id: int) -> list[int]:
    stmt = select(CampaignSession.session_id).where(CampaignSession.campaign_id == campaign_id)
    return sorted((await db.execute(stmt)).scalars())


# --- pause, resume, cancel --------------------------------------------------------------------

_ACTIVE = (CampaignStatus.scheduled, CampaignStatus.running)


async def pause(db: AsyncSession, principal: Principal, campaign_id: int) -> Campaign:
    """Stop taking new rows; a message already being sent finishes."""
    campaign = await _locked(db, principal, campaign_id)
    if campaign.status is CampaignStatus.paused:
        return campaign  # a second click changes nothing
    _require(campaign, _ACTIVE, "pause")
    campaign.status = CampaignStatus.paused
    await _audit(db, principal, campaign, "campaign.paused")
    return campaign


async def resume(db: AsyncSession, principal: Principal, campaign_id: int) -> Campaign:
    campaign = await _locked(db, principal, campaign_id)
    if campaign.status in _ACTIVE:
        return campaign  # already going
    _require(campaign, (CampaignStatus.paused,), "resume")
    not_started = campaign.started_at is None and campaign.scheduled_at is not None
    future = (
        not_started
        and campaign.scheduled_at is not None
        and (campaign.scheduled_at > datetime.now(UTC))
    )
    campaign.status = CampaignStatus.scheduled if future else CampaignStatus.running
    await _audit(db, principal, campaign, "campaign.resumed")
    await notify(db, OUTBOX_CHANNEL, "")
    await _complete_if_nothing_to_send(db, campaign)
    return campaign


async def cancel(db: AsyncSession, principal: Principal, campaign_id: int) -> Campaign:
    """Nothing more leaves: every row still waiting is logged as skipped (cancelled)."""
    campaign = await _locked(db, principal, campaign_id)
    _require(campaign, (*_ACTIVE, CampaignStatus.paused, CampaignStatus.draft), "cancel")
    campaign.status, campaign.finished_at = CampaignStatus.cancelled, datetime.now(UTC)
    await db.execute(
        update(Message)
        .where(
            Message.campaign_id == campaign.id,
            Message.status.in_((MessageStatus.queued, MessageStatus.scheduled)),
        )
        .values(status=MessageStatus.skipped, status_reason="cancelled", updated_at=func.now())
    )
    await _audit(db, principal, campaign, "campaign.cancelled")
    return campaign


async def _locked(db: AsyncSession, principal: Principal, campaign_id: int) -> Campaign:
    stmt = (
        select(Campaign)
        .where(Campaign.id == campaign_id, owned_by(principal, Campaign))
        .with_for_update()
    )
    campaign = (await db.execute(stmt)).scalar_one_or_none()
    if campaign is None:
        raise NotFound("campaign")
    return campaign


def _require(campaign: Campaign, allowed: tuple[CampaignStatus, ...], action: str) -> None:
    if campaign.status not in allowed:
        raise Conflict("campaigns.bad_transition", status=campaign.status.value, action=action)


async def _audit(db: AsyncSession, principal: Principal, campaign: Campaign, action: str) -> None:
    await audit.record(db, principal.audit, action, target_type="campaign", target_id=campaign.id)
    await db.flush()


# --- ETA --------------------------------------------------------------------------------------

_CAPACITY = text(
    """SELECT s.id, s.status, s.hourly_cap, s.daily_cap, s.warmup_started_at, s.paused_until,
      (SELECT count(*) FROM messages m WHERE m.session_id = s.id
         AND m.sent_at > :now - interval '1 hour'),
      (SELECT count(*) FROM messages m WHERE m.session_id = s.id
         AND m.sent_at > :now - interval '1 day')
    FROM whatsapp_sessions s WHERE s.id = ANY(:ids) AND s.user_id = :uid"""
)


async def capacities(
    db: AsyncSession, user_id: int, session_ids: list[int], settings: Settings, now: datetime
) -> list[SessionCapacity]:
    rows = (await db.execute(_CAPACITY, {"ids": session_ids, "uid": user_id, "now": now})).all()
    found = []
    for _sid, status, hourly, daily, warmup, paused_until, sent_hour, sent_day in rows:
        caps = (hourly or settings.default_hourly_cap, daily or settings.default_daily_cap)
        caps = warmup_caps(caps, warmup, now, settings.warmup_days)
        available = None
        if status == SessionStatus.open.value:
            available = max(now, paused_until) if paused_until else now
        found.append(SessionCapacity(caps[0], caps[1], sent_hour, sent_day, available))
    return found


async def eta(
    db: AsyncSession,
    campaign: Campaign,
    settings: Settings,
    *,
    counts: dict[str, int],
    session_ids: list[int],
) -> Eta | None:
    """When the campaign will finish, from the `counts` and pool its caller already read."""
    if campaign.status not in (*_ACTIVE, CampaignStatus.paused):
        return None
    now = settings.clock().now()
    sessions = await capacities(db, campaign.user_id, session_ids, settings, now)
    start = max(now, campaign.scheduled_at) if campaign.scheduled_at else now
    result = estimate(
        sum(counts.get(status.value, 0) for status in PENDING),
        sessions,
        (campaign.min_delay_ms / 1000, campaign.max_delay_ms / 1000),
        window_of(campaign.send_window_start, campaign.send_window_end),
        campaign.timezone,
        start,
    )
    if campaign.status is CampaignStatus.paused:
        return Eta(None, result.remaining, result.per_hour, "campaign_paused")
    return result


async def estimate_draft(
    db: AsyncSession, principal: Principal, data: EstimateIn, settings: Settings
) -> Eta:
    """What pacing settings imply, before a campaign exists (the dashboard's form)."""
    for sid in data.session_ids:
        await sessions_service.get(db, principal, sid)
    now = settings.clock().now()
    zone = _zone(data.timezone or principal.user.timezone)
    start = now
    if data.scheduled_at is not None:
        start = max(now, local_to_utc(data.scheduled_at, zone))
    sessions = await capacities(db, principal.user_id, data.session_ids, settings, now)
    return estimate(
        data.recipients,
        sessions,
        (data.min_delay_seconds, data.max_delay_seconds),
        window_of(data.send_window_start, data.send_window_end),
        zone,
        start,
    )

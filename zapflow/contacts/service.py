"""The rules of contacts, lists and imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.audit import service as audit
from zapflow.auth.principal import Principal
from zapflow.contacts import repository
from zapflow.contacts.importer import (
    ImportCounts,
    driver_connection,
    load_contacts,
    lock_owner_contacts,
)
from zapflow.contacts.manual import parse_typed_numbers
from zapflow.contacts.parsing import Contact as ParsedContact
from zapflow.contacts.parsing import ParsedFile, Problem, open_contacts_file
from zapflow.contacts.schemas import ContactIn, ContactUpdateIn, ListIn, ListUpdateIn
from zapflow.db.unique import flush_unique
from zapflow.errors import Conflict, Invalid, NotFound
from zapflow.kit import dates, phones
from zapflow.kit.csvsafe import safe_cell
from zapflow.models import Contact, ContactImport, ContactList, ContactListMember, ImportStatus


def normalized_phone(raw: str, locale: str) -> str:
    result = phones.normalize_phone(raw)
    if result.e164 is None:
        assert result.problem is not None
        raise Invalid(
            "contacts.invalid_phone", raw=raw, problem=phones.describe(result.problem, locale)
        )
    return result.e164


def parsed_birth_date(raw: str | None, locale: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    result = dates.parse_birth_date(raw, date.today())
    if result.problem is not None:
        raise Invalid(
            "contacts.invalid_birth_date", problem=dates.describe(result.problem, raw, locale)
        )
    return result.value


# --- contacts ---------------------------------------------------------------------------------


async def create_contact(
    session: AsyncSession, principal: Principal, data: ContactIn, locale: str
) -> Contact:
    phone = normalized_phone(data.phone, locale)
    await lock_owner_contacts(await driver_connection(session), principal.user_id)
    contact = Contact(
        user_id=principal.user_id,
        phone=phone,
        name=data.name or None,
        birth_date=parsed_birth_date(data.birth_date, locale),
        attributes=dict(data.attributes),
    )
    await flush_unique(session, Conflict("contacts.phone_taken", phone=phone), contact)
    return contact


async def get_contact(session: AsyncSession, principal: Principal, contact_id: int) -> Contact:
    contact = await repository.get_contact(session, principal, contact_id)
    if contact is None:
        raise NotFound("contact")
    return contact


async def update_contact(
    session: AsyncSession, principal: Principal, contact_id: int, data: ContactUpdateIn, locale: str
) -> Contact:
    contact = await get_contact(session, principal, contact_id)
    sent = data.model_fields_set
    if "name" in sent:
        contact.name = data.name or None
    if "birth_date" in sent:
        contact.birth_date = parsed_birth_date(data.birth_date, locale)
    if "attributes" in sent and data.attributes is not None:
        contact.attributes = dict(data.attributes)
    await session.flush()
    await session.refresh(contact)
    return contact


async def delete_contact(session: AsyncSession, principal: Principal, contact_id: int) -> None:
    contact = await get_contact(session, principal, contact_id)
    await session.delete(contact)
    await session.flush()


# --- lists ------------------------------------------------------------------------------------


async def create_list(session: AsyncSession, principal: Principal, data: ListIn) -> ContactList:
    contact_list = ContactList(
        user_id=principal.user_id, name=data.name, description=data.description
    )
    await flush_unique(session, Conflict("contacts.list_name_taken", name=data.name), contact_list)
    return contact_list


async def get_list(session: AsyncSession, principal: Principal, list_id: int) -> ContactList:
    contact_list = await repository.get_list(session, principal, list_id)
    if contact_list is None:
        raise NotFound("contact_list")
    return contact_list


async def update_list(
    session: AsyncSession, principal: Principal, list_id: int, data: ListUpdateIn
) -> ContactList:
    contact_list = await get_list(session, principal, list_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(contact_list, field, value)
    await flush_unique(session, Conflict("contacts.list_name_taken", name=data.name))
    await session.refresh(contact_list)
    return contact_list


async def delete_list(session: AsyncSession, principal: Principal, list_id: int) -> None:
    """Deletes the list only; its contacts stay."""
    await session.delete(await get_list(session, principal, list_id))
    await session.flush()


async def add_members(
    session: AsyncSession, principal: Principal, list_id: int, contact_ids: Iterable[int]
) -> int:
    """Add the caller's contacts to the list; ids of contacts they do not own are a 404."""
    contact_list = await get_list(session, principal, list_id)
    wanted = set(contact_ids)
    owned = set(
        (
            await session.execute(
                select(Contact.id).where(
                    Contact.id.in_(wanted), Contact.user_id == contact_list.user_id
                )
            )
        ).scalars()
    )
    if owned != wanted:
        raise NotFound("contact")
    existing = set(
        (
            await session.execute(
                select(ContactListMember.contact_id).where(
                    ContactListMember.list_id == list_id, ContactListMember.contact_id.in_(wanted)
                )
            )
        ).scalars()
    )
    new = sorted(wanted - existing)
    if new:
        await session.execute(
            insert(ContactListMember), [{"list_id": list_id, "contact_id": c} for c in new]
        )
    return len(new)


async def remove_member(
    session: AsyncSession, principal: Principal, list_id: int, contact_id: int
) -> None:
    await get_list(session, principal, list_id)
    result = await session.execute(
        delete(ContactListMember).where(
            ContactListMember.list_id == list_id, ContactListMember.contact_id == contact_id
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("contact")


async def resolve_list(
    session: AsyncSession, principal: Principal, *, list_id: int | None, list_name: str | None
) -> ContactList | None:
    """The list an import goes into: an existing one by id, or one by name (made if missing)."""
    if list_id is not None:
        return await get_list(session, principal, list_id)
    if list_name:
        existing = await repository.find_list_by_name(session, principal.user_id, list_name)
        return existing or await create_list(session, principal, ListIn(name=list_name))
    return None


# --- imports ----------------------------------------------------------------------------------


def open_file(
    data: bytes, mapping: Mapping[str, str] | None, default_area_code: str | None, locale: str
) -> ParsedFile:
    return open_contacts_file(
        data, mapping=mapping, default_area_code=default_area_code, locale=locale
    )


async def import_file(
    session: AsyncSession,
    principal: Principal,
    parsed: ParsedFile,
    *,
    filename: str | None,
    contact_list: ContactList | None,
) -> tuple[ContactImport, ImportCounts]:
    """Import a whole file in the caller's transaction: all of it, or (on error) nothing."""
    record = await _new_record(session, principal, contact_list, filename=filename, source="file")
    record.encoding, record.delimiter = parsed.table.encoding, parsed.table.delimiter
    record.columns = describe_plan(parsed)
    counts = await load_contacts(
        session,
        user_id=principal.user_id,
        parsed=parsed.rows(),
        list_id=contact_list.id if contact_list else None,
        record=record,
        locale=parsed.locale,
    )
    await _audit_import(session, principal, record)
    return record, counts


async def import_typed_numbers(
    session: AsyncSession,
    principal: Principal,
    text: str,
    *,
    contact_list: ContactList | None,
    default_area_code: str | None,
    locale: str,
) -> tuple[ContactImport, ImportCounts]:
    record = await _new_record(session, principal, contact_list, filename=None, source="text")
    rows: Iterable[ParsedContact | Problem] = parse_typed_numbers(text, default_area_code, locale)
    counts = await load_contacts(
        session,
        user_id=principal.user_id,
        parsed=rows,
        list_id=contact_list.id if contact_list else None,
        record=record,
        locale=locale,
    )
    await _audit_import(session, principal, record)
    return record, counts


async def _new_record(
    session: AsyncSession,
    principal: Principal,
    contact_list: ContactList | None,
    *,
    filename: str | None,
    source: str,
) -> ContactImport:
    record = ContactImport(
        user_id=principal.user_id,
        list_id=contact_list.id if contact_list else None,
        filename=filename,
        source=source,
        status=ImportStatus.running,
    )
    session.add(record)
    await session.flush()
    return record


async def _audit_import(session: AsyncSession, principal: Principal, record: ContactImport) -> None:
    await audit.record(
        session,
        principal.audit,
        "contacts.imported",
        target_type="contact_import",
        target_id=record.id,
        read=record.rows_read,
        imported=record.rows_imported,
        rejected=record.rows_rejected,
    )
    await session.flush()
    await session.refresh(record)


def describe_plan(parsed: ParsedFile) -> dict[str, object]:
    plan = parsed.plan

    def label(index: int | None) -> str | None:
        return None if index is None else plan.label(index)

    return {
        "phone": label(plan.phone),
        "name": label(plan.name),
        "birth_date": label(plan.birth_date),
        "extras": {key: plan.label(index) for index, key in plan.extras},
        "has_header": plan.has_header,
    }


async def get_import(session: AsyncSession, principal: Principal, import_id: int) -> ContactImport:
    record = await repository.get_import(session, principal, import_id)
    if record is None:
        raise NotFound("contact_import")
    return record


REPORT_HEADER = ("linha", "resultado", "motivo", "dados")


async def report_csv(session: AsyncSession, principal: Principal, import_id: int) -> str:
    """The rows report as CSV (UTF-8 with BOM and `;`, which Excel in pt-BR opens as is),
    every cell guarded against formula injection."""
    record = await get_import(session, principal, import_id)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    for problem in await repository.import_problems(session, record.id):
        data = " | ".join(f"{k}: {v}" for k, v in problem.raw.items())
        writer.writerow(
            [problem.line, problem.outcome.value, safe_cell(problem.reason), safe_cell(data)]
        )
    return out.getvalue()

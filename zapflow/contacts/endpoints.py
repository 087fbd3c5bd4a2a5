"""Contacts, lists and imports over HTTP."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import Response

from zapflow.auth.dependencies import CurrentPrincipal
from zapflow.contacts import repository, service
from zapflow.contacts.importer import PREVIEW_PROBLEMS
from zapflow.contacts.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactUpdateIn,
    ImportCountsOut,
    ImportOut,
    ListIn,
    ListOut,
    ListUpdateIn,
    MembersIn,
    MembersOut,
    PreviewOut,
    ProblemOut,
    TypedNumbersIn,
)
from zapflow.errors import Invalid, TooLarge
from zapflow.models import ContactImport, ContactList
from zapflow.web.deps import AppSettings, DbSession, request_locale
from zapflow.web.uploads import read_limited

router = APIRouter(tags=["contacts"])
PREVIEW_ROWS = 11  # the header and ten rows

MappingForm = Annotated[
    str | None,
    Form(description='JSON such as {"phone": "Celular", "birth_date": "3"} (header or column)'),
]
AreaCodeForm = Annotated[
    str | None, Form(pattern=r"^\d{2}$", description="Fills a missing DDD (off by default)")
]


def _mapping(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Invalid("validation.invalid_json", message=exc.msg) from exc
    if not isinstance(value, dict):
        raise Invalid("validation.invalid_json", message="mapping")
    return {str(k): str(v) for k, v in value.items()}


async def _import_out(db: DbSession, record: ContactImport) -> ImportOut:
    problems = await repository.import_problems(db, record.id, PREVIEW_PROBLEMS)
    return ImportOut(
        id=record.id,
        status=record.status,
        source=record.source,
        filename=record.filename,
        encoding=record.encoding,
        delimiter=record.delimiter,
        columns=record.columns,
        list_id=record.list_id,
        counts=ImportCountsOut(
            read=record.rows_read,
            imported=record.rows_imported,
            updated=record.rows_updated,
            unchanged=record.rows_unchanged,
            duplicates=record.rows_duplicate,
            rejected=record.rows_rejected,
            warned=record.rows_warned,
        ),
        problems=[ProblemOut.model_validate(p) for p in problems],
        report_url=f"/api/v1/contacts/imports/{record.id}/report.csv",
        created_at=record.created_at,
    )


@router.post("/contacts/imports/preview", response_model=PreviewOut)
async def preview_import(
    request: Request,
    principal: CurrentPrincipal,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
    mapping: MappingForm = None,
) -> PreviewOut:
    """What Zapflow sees in a file before importing it: encoding, delimiter, column roles and
    the first rows. Nothing is saved."""
    data = await read_limited(file, settings.max_import_mb * 1024 * 1024)
    parsed = service.open_file(data, _mapping(mapping), None, request_locale(request))
    plan = parsed.plan
    numbered = zip(range(PREVIEW_ROWS), parsed.table.rows(), strict=False)
    rows = [cells for _n, (_line, cells) in numbered]
    label = plan.label
    return PreviewOut(
        kind=parsed.table.kind,
        encoding=parsed.table.encoding,
        delimiter=parsed.table.delimiter,
        has_header=plan.has_header,
        headers=[label(i) for i in range(len(plan.headers))],
        mapping={
            "phone": label(plan.phone),
            "name": None if plan.name is None else label(plan.name),
            "birth_date": None if plan.birth_date is None else label(plan.birth_date),
        },
        extras=[key for _index, key in plan.extras],
        rows=rows,
    )


@router.post("/contacts/imports", response_model=ImportOut, status_code=201)
async def import_file(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="CSV, TSV or XLSX")],
    list_id: Annotated[int | None, Form()] = None,
    list_name: Annotated[str | None, Form(max_length=200)] = None,
    mapping: MappingForm = None,
    default_area_code: AreaCodeForm = None,
) -> ImportOut:
    """Import contacts from a spreadsheet. Every row is accounted for: imported, updated,
    unchanged, merged duplicate, or rejected with its line and reason."""
    data = await read_limited(file, settings.max_import_mb * 1024 * 1024)
    parsed = service.open_file(data, _mapping(mapping), default_area_code, request_locale(request))
    contact_list = await service.resolve_list(db, principal, list_id=list_id, list_name=list_name)
    record, _counts = await service.import_file(
        db,
        principal,
        parsed,
        filename=(file.filename or "")[:255] or None,
        contact_list=contact_list,
    )
    return await _import_out(db, record)


@router.post("/contacts/imports/text", response_model=ImportOut, status_code=201)
async def import_typed_numbers(
    body: TypedNumbersIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    settings: AppSettings,
) -> ImportOut:
    """Import numbers typed or pasted, separated by commas, semicolons, spaces or new lines."""
    if (
        body.text.count(",") + body.text.count(";") + body.text.count("\n")
        >= settings.max_typed_numbers
    ):
        raise TooLarge("import.too_many_numbers", limit=settings.max_typed_numbers)
    contact_list = await service.resolve_list(
        db, principal, list_id=body.list_id, list_name=body.list_name
    )
    record, _counts = await service.import_typed_numbers(
        db,
        principal,
        body.text,
        contact_list=contact_list,
        default_area_code=body.default_area_code,
        locale=request_locale(request),
    )
    return await _import_out(db, record)


@router.get("/contacts/imports", response_model=list[ImportOut])
async def list_imports(
    principal: CurrentPrincipal, db: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ImportOut]:
    return [await _import_out(db, r) for r in await repository.list_imports(db, principal, limit)]


@router.get("/contacts/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: int, principal: CurrentPrincipal, db: DbSession) -> ImportOut:
    return await _import_out(db, await service.get_import(db, principal, import_id))


@router.get("/contacts/imports/{import_id}/report.csv", response_class=Response)
async def import_report(import_id: int, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Every row that was not imported as is, with its line, outcome and reason."""
    body = await service.report_csv(db, principal, import_id)
    headers = {
        "Content-Disposition": f'attachment; filename="importacao-{import_id}-relatorio.csv"'
    }
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/contacts", response_model=ContactPage)
async def list_contacts(
    principal: CurrentPrincipal,
    db: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="Name or digits of the phone")
    ] = None,
    list_id: int | None = None,
    before_id: Annotated[int | None, Query(description="Keyset cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ContactPage:
    if list_id is not None:
        await service.get_list(db, principal, list_id)
    items = await repository.page_contacts(
        db, principal, search=q, list_id=list_id, before_id=before_id, limit=limit
    )
    next_cursor = items[-1].id if len(items) == limit else None
    return ContactPage(items=[ContactOut.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("/contacts", response_model=ContactOut, status_code=201)
async def create_contact(
    body: ContactIn, request: Request, principal: CurrentPrincipal, db: DbSession
) -> ContactOut:
    return ContactOut.model_validate(
        await service.create_contact(db, principal, body, request_locale(request))
    )


@router.get("/contacts/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: int, principal: CurrentPrincipal, db: DbSession) -> ContactOut:
    return ContactOut.model_validate(await service.get_contact(db, principal, contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
async def update_contact(
    contact_id: int,
    body: ContactUpdateIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
) -> ContactOut:
    contact = await service.update_contact(db, principal, contact_id, body, request_locale(request))
    return ContactOut.model_validate(contact)


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_contact(contact_id: int, principal: CurrentPrincipal, db: DbSession) -> None:
    await service.delete_contact(db, principal, contact_id)


@router.get("/lists", response_model=list[ListOut], tags=["lists"])
async def list_lists(principal: CurrentPrincipal, db: DbSession) -> list[ListOut]:
    return [
        ListOut(
            id=cl.id,
            name=cl.name,
            description=cl.description,
            member_count=n,
            created_at=cl.created_at,
        )
        for cl, n in await repository.lists_with_counts(db, principal)
    ]


async def _list_out(db: DbSession, contact_list: ContactList) -> ListOut:
    count = await repository.member_count(db, contact_list.id)
    return ListOut(
        id=contact_list.id,
        name=contact_list.name,
        description=contact_list.description,
        member_count=count,
        created_at=contact_list.created_at,
    )


@router.post("/lists", response_model=ListOut, status_code=201, tags=["lists"])
async def create_list(body: ListIn, principal: CurrentPrincipal, db: DbSession) -> ListOut:
    return await _list_out(db, await service.create_list(db, principal, body))


@router.get("/lists/{list_id}", response_model=ListOut, tags=["lists"])
async def get_list(list_id: int, principal: CurrentPrincipal, db: DbSession) -> ListOut:
    return await _list_out(db, await service.get_list(db, principal, list_id))


@router.patch("/lists/{list_id}", response_model=ListOut, tags=["lists"])
async def update_list(
    list_id: int, body: ListUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> ListOut:
    return await _list_out(db, await service.update_list(db, principal, list_id, body))


@router.delete("/lists/{list_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["lists"])
async def delete_list(list_id: int, principal: CurrentPrincipal, db: DbSession) -> None:
    await service.delete_list(db, principal, list_id)


@router.post("/lists/{list_id}/members", response_model=MembersOut, tags=["lists"])
async def add_members(
    list_id: int, body: MembersIn, principal: CurrentPrincipal, db: DbSession
) -> MembersOut:
    return MembersOut(added=await service.add_members(db, principal, list_id, body.contact_ids))


@router.delete(
    "/lists/{list_id}/members/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["lists"]
)
async def remove_member(
    list_id: int, contact_id: int, principal: CurrentPrincipal, db: DbSession
) -> None:
    await service.remove_member(db, principal, list_id, contact_id)

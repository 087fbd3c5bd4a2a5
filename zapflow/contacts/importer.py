"""Load a parsed file into contacts at close to COPY speed, in the caller's transaction.

How: under a per-owner lock, the numbers the owner already has are read into a set. While the
file streams, each *new* number (its first row) goes straight into `contacts` with COPY — the
same work as a bulk load. Only the rows that need merging — numbers the owner already has, and
repeated rows of a number — go to a scratch table, merged afterwards with a few set-based
statements.

Duplicate rule (also in docs/CONTACTS.md):
- within a file, the first row of a number wins; later rows of the same number are reported as
  merged duplicates and only fill fields the first row left empty;
- against contacts already saved, the file's non-empty values win (the file is newer), and an
  empty cell never erases saved data; extra columns are merged, the file's values winning.

Everything happens in the caller's transaction: an import is whole or absent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from zapflow.contacts.parsing import Contact, Outcome, Problem, attributes_json
from zapflow.kit.i18n import translate
from zapflow.models import ContactImport, ImportStatus

BATCH_ROWS = 5000
PREVIEW_PROBLEMS = 50
NULL = "\\N"
# Every writer of an owner's contacts takes this lock (see `lock_owner_contacts`), so an import
# can COPY new numbers straight into `contacts` without racing another insert.
CONTACT_WRITES_LOCK = 0x636F6E74


@dataclass
class ImportCounts:
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    warned: int = 0
    problems: list[Problem] = field(default_factory=list)


async def driver_connection(session: AsyncSession) -> AsyncConnection[Any]:
    """The psycopg connection under the session's transaction, for COPY."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    return driver


async def lock_owner_contacts(conn: AsyncConnection[Any], user_id: int) -> None:
    """Serialize writers of one owner's contacts until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(%s, %s)", (CONTACT_WRITES_LOCK, user_id % 2**31)
    )


async def load_contacts(
    session: AsyncSession,
    *,
    user_id: int,
    parsed: Iterable[Contact | Problem],
    list_id: int | None,
    record: ContactImport,
    locale: str = "pt-BR",
) -> ImportCounts:
    """Stream `parsed` into the database and fill `record` with the outcome."""
    conn = await driver_connection(session)
    await lock_owner_contacts(conn, user_id)
    existing = await _existing_phones(conn, user_id)
    scratch = f"import_rows_{uuid.uuid4().hex[:12]}"
    await conn.execute(
        f"CREATE TEMP TABLE {scratch} (line int, phone text, name text, birth_date date, "
        "attributes jsonb, duplicate bool, existing bool, contact_id bigint)"
    )
    try:
        counts, to_merge = await _copy_new_contacts(conn, user_id, parsed, existing, locale)
        await _copy_lines(conn, scratch, to_merge)
        await conn.execute(f"ANALYZE {scratch}")  # temp tables are never auto-analyzed
        if counts.duplicates:
            await _fill_blanks(conn, scratch, user_id)
        await _merge_existing(conn, scratch, user_id, counts)
        if list_id is not None:
            await _add_to_list(conn, scratch, user_id, list_id)
        await _copy_problems(conn, record.id, counts.problems)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {scratch}")
    _fill_record(record, counts)
    return counts


async def _existing_phones(conn: AsyncConnection[Any], user_id: int) -> set[str]:
    cursor = await conn.execute("SELECT phone FROM contacts WHERE user_id = %s", (user_id,))
    return {row[0] for row in await cursor.fetchall()}


def _copy_escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _fields(item: Contact) -> str:
    """phone, name, birth_date, attributes as COPY text."""
    name = NULL if item.name is None else _copy_escape(item.name)
    birth = NULL if item.birth_date is None else item.birth_date.isoformat()
    return f"{item.phone}\t{name}\t{birth}\t{_copy_escape(attributes_json(item.attributes))}"


async def _copy_new_contacts(
    conn: AsyncConnection[Any],
    user_id: int,
    parsed: Iterable[Contact | Problem],
    existing: set[str],
    locale: str,
) -> tuple[ImportCounts, list[str]]:
    """COPY each new number's first row into contacts; return the scratch lines of the rest."""
    counts = ImportCounts()
    first_line: dict[str, int] = {}
    to_merge: list[str] = []
    batch: list[str] = []
    owner = str(user_id)
    columns = "user_id, phone, name, birth_date, attributes"
    async with conn.cursor().copy(f"COPY contacts ({columns}) FROM STDIN") as copy:
        for item in parsed:
            if isinstance(item, Problem):
                counts.problems.append(item)
                counts.read += item.outcome is Outcome.rejected
                counts.rejected += item.outcome is Outcome.rejected
                counts.warned += item.outcome is Outcome.imported_without_birth_date
                continue
            counts.read += 1
            earlier = first_line.setdefault(item.phone, item.line)
            duplicate, known = earlier != item.line, item.phone in existing
            if duplicate:
                counts.duplicates += 1
                counts.problems.append(_duplicate_problem(item, earlier, locale))
            if duplicate or known:
                flags = f"{'t' if duplicate else 'f'}\t{'t' if known else 'f'}"
                to_merge.append(f"{item.line}\t{_fields(item)}\t{flags}\t{NULL}\n")
                continue
            counts.imported += 1
            batch.append(f"{owner}\t{_fields(item)}\n")
            if len(batch) >= BATCH_ROWS:
                await copy.write("".join(batch))
                batch.clear()
        if batch:
            await copy.write("".join(batch))
    return counts, to_merge


async def _copy_lines(conn: AsyncConnection[Any], scratch: str, lines: list[str]) -> None:
    if not lines:
        return
    columns = "line, phone, name, birth_date, attributes, duplicate, existing, contact_id"
    async with conn.cursor().copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(lines), BATCH_ROWS):
            await copy.write("".join(lines[start : start + BATCH_ROWS]))


def _duplicate_problem(item: Contact, earlier: int, locale: str) -> Problem:
    reason = translate("import.duplicate_of", locale, line=earlier, phone=item.phone)
    raw = {"phone": item.phone, **({"name": item.name} if item.name else {})}
    return Problem(item.line, Outcome.merged_duplicate, reason, raw)


def _duplicates_merged(scratch: str) -> str:
    """Per number, what its later rows offer: the earliest non-empty name, date and extras."""
    return f"""
    WITH dup AS (SELECT * FROM {scratch} WHERE duplicate),
    fields AS (
      SELECT phone,
        (array_agg(name ORDER BY line) FILTER (WHERE name IS NOT NULL))[1] AS name,
        (array_agg(birth_date ORDER BY line)
           FILTER (WHERE birth_date IS NOT NULL))[1] AS birth_date
      FROM dup GROUP BY phone
    ),
    extras AS (
      SELECT d.phone, jsonb_object_agg(e.key, e.value ORDER BY d.line DESC) AS attributes
      FROM dup d, jsonb_each(d.attributes) e GROUP BY d.phone
    ),
    merged AS (
      SELECT fields.phone, fields.name, fields.birth_date,
             COALESCE(extras.attributes, '{{}}') AS attributes
      FROM fields LEFT JOIN extras USING (phone)
    )
    """


async def _fill_blanks(conn: AsyncConnection[Any], scratch: str, user_id: int) -> None:
    """Later rows fill what a number's first row left empty: in the scratch table for numbers
    the owner had, and in the freshly copied contacts for new numbers."""
    merged = _duplicates_merged(scratch)
    await conn.execute(
        f"""{merged}
        UPDATE {scratch} f SET
          name = COALESCE(f.name, merged.name),
          birth_date = COALESCE(f.birth_date, merged.birth_date),
          attributes = merged.attributes || f.attributes
        FROM merged WHERE f.phone = merged.phone AND NOT f.duplicate"""
    )
    await conn.execute(
        f"""{merged}
        UPDATE contacts c SET
          name = COALESCE(c.name, merged.name),
          birth_date = COALESCE(c.birth_date, merged.birth_date),
          attributes = merged.attributes || c.attributes
        FROM merged
        WHERE c.user_id = %(uid)s AND c.phone = merged.phone AND c.created_at = now()
          AND (c.name IS NULL OR c.birth_date IS NULL OR merged.attributes <> '{{}}')""",
        {"uid": user_id},
    )


async def _merge_existing(
    conn: AsyncConnection[Any], scratch: str, user_id: int, counts: ImportCounts
) -> None:
    """Numbers the owner had: update them where the file brings something new."""
    params = {"uid": user_id}
    matched = (
        await conn.execute(
            f"""UPDATE {scratch} s SET contact_id = c.id FROM contacts c
            WHERE s.existing AND NOT s.duplicate AND c.user_id = %(uid)s AND c.phone = s.phone""",
            params,
        )
    ).rowcount
    updated = (
        await conn.execute(
            f"""UPDATE contacts c SET
              name = COALESCE(s.name, c.name),
              birth_date = COALESCE(s.birth_date, c.birth_date),
              attributes = c.attributes || s.attributes,
              updated_at = now()
            FROM {scratch} s
            WHERE s.contact_id = c.id AND (c.name, c.birth_date, c.attributes) IS DISTINCT FROM
              (COALESCE(s.name, c.name), COALESCE(s.birth_date, c.birth_date),
               c.attributes || s.attributes)"""
        )
    ).rowcount
    counts.updated, counts.unchanged = updated, matched - updated


async def _add_to_list(
    conn: AsyncConnection[Any], scratch: str, user_id: int, list_id: int
) -> None:
    """The file's numbers join the list: the new ones (created in this transaction, so their
    `created_at` is `now()`) and the ones the owner had."""
    params = {"uid": user_id, "list_id": list_id}
    await conn.execute(
        """INSERT INTO contact_list_members (list_id, contact_id)
        SELECT %(list_id)s, id FROM contacts WHERE user_id = %(uid)s AND created_at = now()
        ON CONFLICT DO NOTHING""",
        params,
    )
    await conn.execute(
        f"""INSERT INTO contact_list_members (list_id, contact_id)
        SELECT %(list_id)s, contact_id FROM {scratch} WHERE contact_id IS NOT NULL
        ON CONFLICT DO NOTHING""",
        params,
    )


async def _copy_problems(
    conn: AsyncConnection[Any], import_id: int, problems: list[Problem]
) -> None:
    if not problems:
        return
    columns = "import_id, line, outcome, raw, reason"
    async with conn.cursor().copy(f"COPY contact_import_rejections ({columns}) FROM STDIN") as copy:
        for problem in problems:
            await copy.write_row(
                (
                    import_id,
                    problem.line,
                    problem.outcome.value,
                    json.dumps(problem.raw, ensure_ascii=False),
                    problem.reason,
                )
            )


def _fill_record(record: ContactImport, counts: ImportCounts) -> None:
    record.rows_read = counts.read
    record.rows_imported = counts.imported
    record.rows_updated = counts.updated
    record.rows_unchanged = counts.unchanged
    record.rows_duplicate = counts.duplicates
    record.rows_rejected = counts.rejected
    record.rows_warned = counts.warned
    record.status = ImportStatus.completed

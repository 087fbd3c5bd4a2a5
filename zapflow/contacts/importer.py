"""Load a parsed file into contacts, set-based: COPY into a scratch table, then one upsert.

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


def _copy_escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


async def driver_connection(session: AsyncSession) -> AsyncConnection[Any]:
    """The psycopg connection under the session's transaction, for COPY."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    return driver


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
    scratch = f"import_rows_{uuid.uuid4().hex[:12]}"
    await conn.execute(
        f"CREATE TEMP TABLE {scratch} (line int, phone text, name text, birth_date date, "
        "attributes jsonb, duplicate bool)"
    )
    try:
        counts = await _copy_rows(conn, scratch, parsed, locale)
        if counts.duplicates:
            await conn.execute(_fill_blanks_sql(scratch))
        row = await (
            await conn.execute(_UPSERT_SQL.format(scratch=scratch), {"uid": user_id})
        ).fetchone()
        assert row is not None
        counts.imported, counts.updated = row
        counts.unchanged = (
            counts.read - counts.rejected - counts.duplicates - counts.imported - counts.updated
        )
        if list_id is not None:
            await conn.execute(
                _ADD_TO_LIST_SQL.format(scratch=scratch), {"uid": user_id, "list_id": list_id}
            )
        await _copy_problems(conn, record.id, counts.problems)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {scratch}")
    _fill_record(record, counts)
    return counts


async def _copy_rows(
    conn: AsyncConnection[Any], scratch: str, parsed: Iterable[Contact | Problem], locale: str
) -> ImportCounts:
    counts = ImportCounts()
    first_line: dict[str, int] = {}
    batch: list[str] = []
    cursor = conn.cursor()
    async with cursor.copy(
        f"COPY {scratch} (line, phone, name, birth_date, attributes, duplicate) FROM STDIN"
    ) as copy:
        for item in parsed:
            if isinstance(item, Problem):
                counts.problems.append(item)
                if item.outcome is Outcome.rejected:
                    counts.read += 1
                    counts.rejected += 1
                else:
                    counts.warned += 1
                continue
            counts.read += 1
            earlier = first_line.setdefault(item.phone, item.line)
            duplicate = earlier != item.line
            if duplicate:
                counts.duplicates += 1
                counts.problems.append(_duplicate_problem(item, earlier, locale))
            batch.append(
                f"{item.line}\t{item.phone}\t"
                f"{_copy_escape(item.name) if item.name is not None else chr(92) + 'N'}\t"
                f"{item.birth_date.isoformat() if item.birth_date else chr(92) + 'N'}\t"
                f"{_copy_escape(attributes_json(item.attributes))}\t{'t' if duplicate else 'f'}\n"
            )
            if len(batch) >= BATCH_ROWS:
                await copy.write("".join(batch))
                batch.clear()
        if batch:
            await copy.write("".join(batch))
    return counts


def _duplicate_problem(item: Contact, earlier: int, locale: str) -> Problem:
    reason = translate("import.duplicate_of", locale, line=earlier, phone=item.phone)
    raw = {"phone": item.phone, **({"name": item.name} if item.name else {})}
    return Problem(item.line, Outcome.merged_duplicate, reason, raw)


def _fill_blanks_sql(scratch: str) -> str:
    # `scratch` is our own generated identifier, never user input.
    return f"""
    UPDATE {scratch} f SET
      name = COALESCE(f.name, d.name),
      birth_date = COALESCE(f.birth_date, d.birth_date),
      attributes = COALESCE(d.attributes, '{{}}') || f.attributes
    FROM (
      SELECT phone,
        (array_agg(name ORDER BY line) FILTER (WHERE name IS NOT NULL))[1] AS name,
        (array_agg(birth_date ORDER BY line)
           FILTER (WHERE birth_date IS NOT NULL))[1] AS birth_date,
        (SELECT jsonb_object_agg(e.key, e.value ORDER BY x.line DESC)
           FROM {scratch} x, jsonb_each(x.attributes) e
          WHERE x.duplicate AND x.phone = g.phone) AS attributes
      FROM {scratch} g WHERE duplicate GROUP BY phone
    ) d
    WHERE f.phone = d.phone AND NOT f.duplicate
    """


_UPSERT_SQL = """
WITH upserted AS (
  INSERT INTO contacts AS c (user_id, phone, name, birth_date, attributes)
  SELECT %(uid)s, phone, name, birth_date, attributes FROM {scratch} WHERE NOT duplicate
  ON CONFLICT (user_id, phone) DO UPDATE SET
    name = COALESCE(EXCLUDED.name, c.name),
    birth_date = COALESCE(EXCLUDED.birth_date, c.birth_date),
    attributes = c.attributes || EXCLUDED.attributes,
    updated_at = now()
  WHERE (c.name, c.birth_date, c.attributes) IS DISTINCT FROM
        (COALESCE(EXCLUDED.name, c.name), COALESCE(EXCLUDED.birth_date, c.birth_date),
         c.attributes || EXCLUDED.attributes)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
"""

_ADD_TO_LIST_SQL = """
INSERT INTO contact_list_members (list_id, contact_id)
SELECT %(list_id)s, c.id FROM {scratch} t
JOIN contacts c ON c.user_id = %(uid)s AND c.phone = t.phone
WHERE NOT t.duplicate
ON CONFLICT DO NOTHING
"""


async def _copy_problems(
    conn: AsyncConnection[Any], import_id: int, problems: list[Problem]
) -> None:
    if not problems:
        return
    cursor = conn.cursor()
    async with cursor.copy(
        "COPY contact_import_rejections (import_id, line, outcome, raw, reason) FROM STDIN"
    ) as copy:
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

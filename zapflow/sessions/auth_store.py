"""Engines' auth state (creds and signal keys) in PostgreSQL, encrypted with AES-GCM.

Values are opaque strings to Python (Baileys serializes them with BufferJSON). Each row is
sealed with the keyring's newest key and the id of that key is stored beside it; the
associated data is `session:type:id`, so a row moved elsewhere fails to decrypt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zapflow.db.engine import transaction
from zapflow.kit.crypto import Keyring, Sealed
from zapflow.models import SessionAuthKey

KeyData = Mapping[str, Mapping[str, str | None]]  # type -> id -> value (None deletes)


def _associated(session_id: int, key_type: str, key_id: str) -> bytes:
    return f"{session_id}:{key_type}:{key_id}".encode()


def _open(keyring: Keyring, row: SessionAuthKey) -> str:
    sealed = Sealed(row.key_version, row.nonce, row.ciphertext)
    return keyring.open(sealed, _associated(row.session_id, row.key_type, row.key_id)).decode()


async def get_keys(
    db: AsyncSession, keyring: Keyring, session_id: int, key_type: str, ids: Sequence[str]
) -> dict[str, str | None]:
    rows = await db.execute(
        select(SessionAuthKey).where(
            SessionAuthKey.session_id == session_id,
            SessionAuthKey.key_type == key_type,
            SessionAuthKey.key_id.in_(list(ids)),
        )
    )
    found = {row.key_id: _open(keyring, row) for row in rows.scalars()}
    return {key_id: found.get(key_id) for key_id in ids}


def _sealed_row(
    keyring: Keyring, session_id: int, key_type: str, key_id: str, value: str
) -> dict[str, Any]:
    sealed = keyring.seal(value.encode(), _associated(session_id, key_type, key_id))
    return {
        "session_id": session_id,
        "key_type": key_type,
        "key_id": key_id,
        "key_version": sealed.key_id,
        "nonce": sealed.nonce,
        "ciphertext": sealed.ciphertext,
    }


async def set_keys(db: AsyncSession, keyring: Keyring, session_id: int, data: KeyData) -> None:
    """Upsert and delete many keys in the caller's transaction."""
    upserts = [
        _sealed_row(keyring, session_id, key_type, key_id, value)
        for key_type, values in data.items()
        for key_id, value in values.items()
        if value is not None
    ]
    deletions = [
        (key_type, key_id)
        for key_type, values in data.items()
        for key_id, value in values.items()
        if value is None
    ]
    if upserts:
        stmt = insert(SessionAuthKey).values(upserts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["session_id", "key_type", "key_id"],
            set_={c: stmt.excluded[c] for c in ("key_version", "nonce", "ciphertext")}
            | {"updated_at": text("now()")},
        )
        await db.execute(stmt)
    if deletions:
        await db.execute(
            delete(SessionAuthKey).where(
                SessionAuthKey.session_id == session_id,
                tuple_(SessionAuthKey.key_type, SessionAuthKey.key_id).in_(deletions),
            )
        )


class AuthStore:
    """The auth state of every session, one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], keyring: Keyring) -> None:
        self.sessionmaker = sessionmaker
        self.keyring = keyring

    async def get(
        self, session_id: int, key_type: str, ids: Sequence[str]
    ) -> dict[str, str | None]:
        async with transaction(self.sessionmaker) as db:
            return await get_keys(db, self.keyring, session_id, key_type, ids)

    async def set(self, session_id: int, data: KeyData) -> None:
        """Write and delete many keys in ONE transaction: all of them land, or none."""
        async with transaction(self.sessionmaker) as db:
            await set_keys(db, self.keyring, session_id, data)

    async def clear(self, session_id: int) -> None:
        """Wipe a session's keys (after a logout: the next login needs a new QR)."""
        async with transaction(self.sessionmaker) as db:
            await db.execute(delete(SessionAuthKey).where(SessionAuthKey.session_id == session_id))


async def rotate_keys(db: AsyncSession, keyring: Keyring, batch: int = 500) -> int:
    """Re-encrypt every row not sealed with the newest key. Returns how many were re-sealed."""
    total = 0
    while True:
        rows = (
            (
                await db.execute(
                    select(SessionAuthKey)
                    .where(SessionAuthKey.key_version != keyring.current_id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return total
        for row in rows:
            associated = _associated(row.session_id, row.key_type, row.key_id)
            plaintext = keyring.open(Sealed(row.key_version, row.nonce, row.ciphertext), associated)
            sealed = keyring.seal(plaintext, associated)
            row.key_version, row.nonce, row.ciphertext = (
                sealed.key_id,
                sealed.nonce,
                sealed.ciphertext,
            )
        await db.flush()
        total += len(rows)

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from tests.conftest import make_settings
from tests.helpers.processes import run_cli, zapflow_env
from tests.sessions.helpers import create_session_row
from zapflow.db.engine import create_engine, create_sessionmaker, transaction
from zapflow.kit.crypto import UnknownKey, new_key_spec
from zapflow.sessions.auth_store import AuthStore, rotate_keys


async def test_set_is_atomic_reads_back_and_rows_cannot_be_swapped(
    committed_url: str, tmp_path: Path
) -> None:
    engine = create_engine(committed_url, pool_size=2)
    store = AuthStore(create_sessionmaker(engine), make_settings(committed_url, tmp_path).keyring())
    sid = create_session_row(committed_url)
    await store.set(sid, {"creds": {"creds": '{"a": 1}'}, "pre-key": {"1": "one", "2": "two"}})
    assert await store.get(sid, "pre-key", ["1", "2", "3"]) == {"1": "one", "2": "two", "3": None}
    await store.set(sid, {"pre-key": {"1": None, "2": "deux"}})
    assert await store.get(sid, "pre-key", ["1", "2"]) == {"1": None, "2": "deux"}
    with pytest.raises(Exception):  # noqa: B017  (a key type too long for its column: the whole set fails)
        await store.set(sid, {"pre-key": {"2": "changed"}, "x" * 100: {"1": "v"}})
    assert (await store.get(sid, "pre-key", ["2"]))["2"] == "deux"
    with psycopg.connect(committed_url, autocommit=True) as conn:  # move a ciphertext to another id
        conn.execute(
            "UPDATE session_auth_keys SET key_id = '9' WHERE key_type = 'pre-key' AND key_id = '2'"
        )
    with pytest.raises(InvalidTag):
        await store.get(sid, "pre-key", ["9"])
    await store.clear(sid)
    assert (await store.get(sid, "creds", ["creds"]))["creds"] is None
    await engine.dispose()


async def test_rotation_reseals_every_row_with_the_newest_key(
    committed_url: str, tmp_path: Path
) -> None:
    engine = create_engine(committed_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    old = make_settings(committed_url, tmp_path)
    new = make_settings(committed_url, tmp_path, encryption_keys=SecretStr(new_key_spec("k1")))
    sid = create_session_row(committed_url)
    await AuthStore(sessionmaker, old.keyring()).set(
        sid, {"creds": {"creds": "segredo"}, "session": {"a": "b"}}
    )
    async with transaction(sessionmaker) as db:
        assert await rotate_keys(db, new.keyring()) == 2
    async with transaction(sessionmaker) as db:
        assert await rotate_keys(db, new.keyring()) == 0
    with psycopg.connect(committed_url) as conn:
        versions = {r[0] for r in conn.execute("SELECT key_version FROM session_auth_keys")}
    assert versions == {"k1"}
    assert (await AuthStore(sessionmaker, new.keyring()).get(sid, "creds", ["creds"]))[
        "creds"
    ] == "segredo"
    with pytest.raises(UnknownKey):
        await AuthStore(sessionmaker, old.keyring()).get(sid, "creds", ["creds"])
    await engine.dispose()


def test_cli_scan_fault_and_rotate(committed_url: str, tmp_path: Path) -> None:
    env = zapflow_env(tmp_path, committed_url, ZAPFLOW_NEW_PASSWORD="senha-do-admin-1")
    assert (
        run_cli(["users", "create-admin", "--email", "adm@x.com", "--name", "Adm"], env).returncode
        == 0
    )
    created = run_cli(["sessions", "create", "Loja", "--user", "adm@x.com"], env)
    assert created.returncode == 0, created.stderr
    sid = created.stdout.split()[-1]
    scanned = run_cli(["simulator", "scan", sid, "--phone", "11 98888-7777"], env)
    assert f"scanned session {sid} as +5511988887777" in scanned.stdout
    assert (
        "+5511988887777" not in run_cli(["sessions", "list"], env).stdout
    )  # phone shows once open
    fault = run_cli(["simulator", "fault", sid, "disconnect"], env)
    assert fault.returncode == 0 and "fault disconnect sent" in fault.stdout
    assert run_cli(["simulator", "fault", sid, "meteor"], env).returncode == 2
    rotated = run_cli(["keys", "rotate"], {**env, "ZAPFLOW_ENCRYPTION_KEYS": new_key_spec("k9")})
    assert "re-encrypted 1 keys with k9" in rotated.stdout, rotated.stderr

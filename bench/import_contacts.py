"""Benchmark: import a messy 1,000,000-row CSV into contacts, against plain COPY of the
already-clean rows, in the same run, on fresh databases from the same template.

    make bench                      # or: uv run python bench/import_contacts.py --rows 1000000

Uses TEST_DATABASE_URL, else DATABASE_URL, else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.messy_contacts import generate  # noqa: E402
from zapflow.db.migrate import upgrade_to_head  # noqa: E402


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql+psycopg://", "postgresql://")
    from zapflow.db.embedded import start_embedded_postgres

    return start_embedded_postgres(Path(tempfile.mkdtemp()) / "pgdata", database="postgres")


def with_database(url: str, name: str) -> str:
    head, _, query = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def fresh_database(server: str, template: str) -> str:
    name = f"zf_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')  # type: ignore[arg-type]
    return with_database(server, name)


def drop(server: str, url: str) -> None:
    name = url.split("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def create_owner(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "INSERT INTO users (email, name, password_hash, role) "
            "VALUES ('bench@example.com', 'Bench', 'x', 'operator') RETURNING id"
        ).fetchone()
        assert row is not None
        return int(row[0])


# --- the two measured runs, each in its own process so peak memory is its own -----------------


def run_copy(url: str, clean: str) -> dict[str, float]:
    """The baseline: the clean rows straight into `contacts` (same indexes), one COPY."""
    owner = create_owner(url)
    with psycopg.connect(url, autocommit=True) as conn:  # set up outside the timing
        conn.execute(f"ALTER TABLE contacts ALTER COLUMN user_id SET DEFAULT {owner}")  # type: ignore[arg-type]
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with (
            cur.copy("COPY contacts (phone, name, birth_date) FROM STDIN") as copy,
            open(clean, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
    return {"seconds": time.perf_counter() - started}


async def _run_import(url: str, messy: str) -> dict[str, float]:
    from zapflow.auth.principal import Principal
    from zapflow.contacts import service
    from zapflow.db.engine import create_engine, create_sessionmaker, transaction
    from zapflow.models import User

    owner = create_owner(url)
    engine = create_engine(url, pool_size=1)
    started = time.perf_counter()
    async with transaction(create_sessionmaker(engine)) as session:
        user = await session.get(User, owner)
        assert user is not None
        principal = Principal(user=user, via="api_key")
        parsed = service.open_file(Path(messy).read_bytes(), None, None, "pt-BR")
        record, counts = await service.import_file(
            session, principal, parsed, filename="bench.csv", contact_list=None
        )
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {
        "seconds": seconds,
        "read": counts.read,
        "imported": counts.imported,
        "rejected": counts.rejected,
        "duplicates": counts.duplicates,
        "warned": counts.warned,
    }


def child(kind: str, url: str, path: str) -> None:
    result = run_copy(url, path) if kind == "copy" else asyncio.run(_run_import(url, path))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, url: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, url, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating copy/import rounds")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(tempfile.mkdtemp(prefix="zapflow-bench-"))
    messy, clean = work / "messy.csv", work / "clean.tsv"
    stats = generate(args.rows, messy, clean)
    server = server_url()
    template = f"zf_bench_tpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{template}"')  # type: ignore[arg-type]
    upgrade_to_head(with_database(server, template))
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        for _ in range(args.rounds):  # alternate, so drift on a shared machine hits both alike
            result = {}
            for kind, path in (("copy", clean), ("import", messy)):
                url = fresh_database(server, template)
                try:
                    result[kind] = measure(kind, url, path)
                finally:
                    drop(server, url)
            rounds.append(result)
    finally:
        drop(server, with_database(server, template))
    ratios = sorted(r["import"]["seconds"] / r["copy"]["seconds"] for r in rounds)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "file_mb": round(messy.stat().st_size / 1e6, 1),
                "generated": stats,
                "copy_seconds": [round(r["copy"]["seconds"], 2) for r in rounds],
                "import_seconds": [round(r["import"]["seconds"], 2) for r in rounds],
                "import_over_copy": [round(x, 2) for x in ratios],
                "median_ratio": round(statistics.median(ratios), 2),
                "import_peak_rss_mb": round(max(r["import"]["peak_rss_mb"] for r in rounds)),
                "copy_peak_rss_mb": round(max(r["copy"]["peak_rss_mb"] for r in rounds)),
                "import_counts": {
                    k: v
                    for k, v in rounds[-1]["import"].items()
                    if k not in ("seconds", "peak_rss_mb")
                },
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

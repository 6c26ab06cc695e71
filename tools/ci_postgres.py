"""CI's PostgreSQL: make a scratch database for the suite's second run, or drop one.

    python tools/ci_postgres.py create     print the scratch database's URL
    python tools/ci_postgres.py drop NAME  drop it

`create` connects to AFTERCARE_CI_POSTGRES (host:port, default 127.0.0.1:5432, user postgres). When nothing
answers it starts the machine's cluster once (pg_ctlcluster) and asks again. If PostgreSQL still does not
answer, it fails when CI=true (the scale-out test runs only on PostgreSQL: CI must not go green without it)
and otherwise prints nothing, so a developer's `.ci/run` tests on SQLite only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg


def address() -> tuple[str, int]:
    host, _, port = os.environ.get("AFTERCARE_CI_POSTGRES", "127.0.0.1:5432").rpartition(":")
    return host, int(port)


async def execute(sql: str = "") -> None:
    host, port = address()
    conn = await asyncpg.connect(host=host, port=port, user="postgres", database="postgres", timeout=5)
    try:
        if sql:
            await conn.execute(sql)
    finally:
        await conn.close()


def answers() -> bool:
    try:
        asyncio.run(execute())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def start_cluster() -> None:
    """Start the machine's PostgreSQL cluster, as the machine does before a session (Debian's layout)."""
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    for version in versions:
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version.name, "main", "start"]
        subprocess.run(cmd, check=False, capture_output=True, timeout=60)


def create() -> int:
    if not answers() and address()[1] == 5432:
        start_cluster()
        for _ in range(20):
            if answers():
                break
            time.sleep(0.5)
    if not answers():
        where = "{}:{}".format(*address())
        if os.environ.get("CI") == "true":
            print(f"PostgreSQL does not answer on {where}: CI must run the suite on it too", file=sys.stderr)
            return 1
        print(f"PostgreSQL does not answer on {where}: tested on SQLite only", file=sys.stderr)
        return 0
    name = f"aftercare_ci_{int(time.time())}_{os.getpid()}"
    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    host, port = address()
    print(f"postgresql+asyncpg://postgres@{host}:{port}/{name}")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["create"]:
        return create()
    if sys.argv[1:2] == ["drop"] and len(sys.argv) == 3:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)'))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

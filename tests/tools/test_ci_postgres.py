"""CI's PostgreSQL step (tools/ci_postgres.py): a scratch database when PostgreSQL answers; when it does not,
a failure under CI and SQLite only for a developer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

SCRIPT = Path(__file__).resolve().parent.parent.parent / "tools" / "ci_postgres.py"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CI"} | env
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=environ, timeout=60)


def test_ci_fails_when_postgresql_does_not_answer() -> None:
    silent = f"127.0.0.1:{free_port()}"
    failed = run("create", CI="true", AFTERCARE_CI_POSTGRES=silent)
    assert failed.returncode == 1 and failed.stdout == ""
    assert f"PostgreSQL does not answer on {silent}: CI must run the suite on it too" in failed.stderr


def test_a_developer_without_postgresql_tests_on_sqlite_only() -> None:
    quiet = run("create", AFTERCARE_CI_POSTGRES=f"127.0.0.1:{free_port()}")
    assert (quiet.returncode, quiet.stdout) == (0, "")
    assert "tested on SQLite only" in quiet.stderr


def test_a_scratch_database_is_made_and_dropped() -> None:
    made = run("create")
    if not made.stdout:
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432 here")
    url = made.stdout.strip()
    assert made.returncode == 0 and url.startswith("postgresql+asyncpg://postgres@127.0.0.1:5432/aftercare_ci_")
    name = url.rsplit("/", 1)[1]
    assert run("drop", name).returncode == 0

"""`make run` is a supervisor: a process that dies is started again with a line saying so, `aftercare dev
restart NAME` restarts one at once, and one that keeps dying stops everything (issue 13, item 11)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from cli import dev

pytestmark = pytest.mark.timeout(60)


async def always_ready(_: dev.Process) -> bool:
    return True


def process(name: str, code: str) -> dev.Process:
    return dev.Process(name, [sys.executable, "-c", code], always_ready, [], echo=False)


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    console = Console(record=True, width=200, color_system=None)
    monkeypatch.setattr(dev, "console", console)
    monkeypatch.setattr(dev, "RESTART_BACKOFF_S", (0.1,))
    yield console


async def until_pid_changes(p: dev.Process, old: int) -> int:
    for _ in range(100):
        if p.proc is not None and p.proc.pid != old and p.proc.returncode is None:
            return p.proc.pid
        await asyncio.sleep(0.1)
    raise AssertionError(f"{p.name} was not restarted")


@contextlib.asynccontextmanager
async def supervised(tmp_path: Path, name: str) -> AsyncIterator[tuple[dev.Process, int]]:
    """A sleeping process under the supervisor; its first pid. Ctrl-C (stop) must end the supervisor with 0."""
    sleeper = process(name, "import time; time.sleep(60)")
    await dev._start(sleeper, tmp_path)
    stop = asyncio.Event()
    supervisor = asyncio.create_task(dev.supervise([sleeper], tmp_path, stop))
    assert sleeper.proc is not None
    try:
        yield sleeper, sleeper.proc.pid
        stop.set()
        assert await supervisor == 0
    finally:
        supervisor.cancel()
        await dev._stop([sleeper])


async def test_a_killed_process_is_started_again(tmp_path: Path, said: Console) -> None:
    async with supervised(tmp_path, "claims") as (sleeper, first):
        os.kill(first, signal.SIGKILL)
        second = await until_pid_changes(sleeper, first)
        assert second != first and (tmp_path / "run" / "claims.pid").read_text() == str(second)
        assert "claims exited with -9; restarting in 0s" in said.export_text()


async def test_dev_restart_restarts_one_process_at_once(tmp_path: Path, said: Console) -> None:
    async with supervised(tmp_path, "repairs") as (sleeper, first):
        assert dev.request_restart(tmp_path, "repairs") == "asked make run to restart repairs"
        await until_pid_changes(sleeper, first)
        assert "restarting repairs, as asked" in said.export_text() and "exited with" not in said.export_text()
        assert dev.request_restart(tmp_path, "nothing").startswith("nothing is not running under make run")


async def test_a_process_that_keeps_dying_stops_everything(tmp_path: Path, said: Console) -> None:
    dying = process("notifications", "import sys; sys.exit(3)")
    await dev._start(dying, tmp_path)
    result = await asyncio.wait_for(dev.supervise([dying], tmp_path, asyncio.Event()), 30)
    assert result == 1
    text = said.export_text()
    assert text.count("notifications exited with 3; restarting") == dev.GIVE_UP_AFTER
    assert "notifications keeps dying" in text and "stopping everything" in text

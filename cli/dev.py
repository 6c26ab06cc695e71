"""`aftercare dev up` (what `make run` runs): the whole system on one machine, supervised.

Starts the Temporal dev server (state in var/, tuned SQLite, UI on :8233, the project's search attributes)
and each service, waits until each is ready, prints where everything is, and on Ctrl-C stops them all in
reverse order, so that no process and no port is left behind. The services come from services/registry.py."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console
from rich.table import Table
from rich.text import Text

from devtools.keys import ensure_dev_keys
from services import registry
from workflows.search_attributes import cli_flags

TEMPORAL_PORT, TEMPORAL_UI_PORT = 7233, 8233
SMTP_SINK_PORT, HTTP_SINK_PORT = 1025, 8025
# /metrics of each process, two apart (the Temporal SDK's worker metrics on the next port up):
# 9101, 9103, ... for the services in registry order, then the claims worker.
METRICS_PORTS = {name: 9101 + 2 * i for i, name in enumerate([*registry.BY_NAME, "claims"])}
START_TIMEOUT_S = 90
STOP_GRACE_S = 15
console = Console(highlight=False)


@dataclass
class Process:
    name: str
    argv: list[str]
    ready: Callable[[Process], Awaitable[bool]]
    ports: list[int]
    echo: bool = True  # copy its output to the console (Temporal's goes to its log file only)
    env: dict[str, str] = field(default_factory=dict)
    log_file: Path | None = None
    log_offset: int = 0  # where this run's output starts in log_file
    proc: asyncio.subprocess.Process | None = field(default=None, repr=False)
    pump: asyncio.Task[None] | None = field(default=None, repr=False)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor dies, so nothing outlives it (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def grpc_healthy(port: int) -> bool:
    """Whether the gRPC health service on this local port says SERVING."""
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


async def _temporal_ready() -> bool:
    from temporalio.client import Client

    try:
        await Client.connect(f"127.0.0.1:{TEMPORAL_PORT}")  # connecting asks the server for its system info
        return True
    except RuntimeError:  # not up yet
        return False


def _healthy_on(port: int) -> Callable[[Process], Awaitable[bool]]:
    return lambda _: grpc_healthy(port)


async def _log_says(process: Process, text: str) -> bool:
    """For a process with no port: ready once this run's part of its log says so."""
    log = process.log_file
    return log is not None and log.exists() and text in log.read_text(errors="replace")[process.log_offset :]


def processes(var: Path) -> list[Process]:
    temporal = [
        _bin("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(TEMPORAL_PORT),
        "--ui-port",
        str(TEMPORAL_UI_PORT),
        "--db-filename",
        str(var / "temporal.db"),
        "--log-level",
        "warn",
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--ui-disable-news-fetch",
        *cli_flags(),
    ]
    service = [sys.executable, "-m", "cli.main", "serve"]
    plan = [
        Process("temporal", temporal, lambda _: _temporal_ready(), [TEMPORAL_PORT, TEMPORAL_UI_PORT], echo=False),
        Process(
            "sinks",
            [sys.executable, "-m", "cli.main", "sinks", "serve"],
            lambda p: _log_says(p, "sinks ready"),
            [SMTP_SINK_PORT, HTTP_SINK_PORT],
        ),
        *(
            Process(
                e.name,
                [*service, e.name],
                _healthy_on(e.port),
                [e.port] + ([e.http_port] if e.http_port else []),
                env=dict(e.dev_env),
            )
            for e in registry.SERVICES
        ),
        Process(
            "claims",
            [sys.executable, "-m", "cli.main", "worker", "claims"],
            lambda p: _log_says(p, "worker ready"),
            [],
        ),
    ]
    for process in plan:
        if port := METRICS_PORTS.get(process.name):
            process.env["AFTERCARE_METRICS_PORT"] = str(port)
            process.ports += [port, port + 1]
    return plan


async def _pump(process: Process, log_file: Path) -> None:
    """Copy the process's output to its log and the console until it ends. A line is printed as it is (never
    read as markup) and whole (never wrapped); a line that cannot be shown is still logged, and the copying
    goes on: a reader that stopped would fill the pipe and freeze the process on its next write."""
    assert process.proc is not None and process.proc.stdout is not None
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        sink: BinaryIO | None = log_file.open("ab")
    except OSError:
        sink = None  # no log (a read-only disk, say): still drain the pipe, and show the output
        console.print(f"[red]cannot write {log_file}: {process.name}'s output goes to the console only[/red]")
    try:
        async for line in process.proc.stdout:
            if sink is not None:
                sink.write(line)
                sink.flush()
            if process.echo:
                _echo(process.name, line)
    finally:
        if sink is not None:
            sink.close()


def _echo(name: str, line: bytes) -> None:
    text = Text.assemble((f"{name:>9} | ", "dim"), line.decode(errors="replace").rstrip())
    try:
        console.print(text, soft_wrap=True)
    except Exception:  # noqa: BLE001 - the console is only a view; the log has the line
        pass


async def _start(process: Process, var: Path) -> None:
    process.proc = await asyncio.create_subprocess_exec(
        *process.argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
        env={**os.environ, "AFTERCARE_VAR_DIR": str(var), **process.env},
    )
    _run_dir(var).mkdir(parents=True, exist_ok=True)
    (_run_dir(var) / f"{process.name}.pid").write_text(str(process.proc.pid))
    process.log_file = var / "logs" / f"{process.name}.log"
    process.log_offset = len(process.log_file.read_text(errors="replace")) if process.log_file.exists() else 0
    process.pump = asyncio.create_task(_pump(process, process.log_file))
    started = time.monotonic()
    with console.status(f"starting {process.name}…"):
        while not await process.ready(process):
            if process.proc.returncode is not None:
                raise RuntimeError(
                    f"{process.name} exited with {process.proc.returncode}; see var/logs/{process.name}.log"
                )
            if time.monotonic() - started > START_TIMEOUT_S:
                raise RuntimeError(
                    f"{process.name} not ready after {START_TIMEOUT_S}s; see var/logs/{process.name}.log"
                )
            await asyncio.sleep(0.2)
    console.print(f"[green]✓[/green] {process.name} ready ({time.monotonic() - started:.1f}s)")


async def _stop(started: list[Process]) -> None:
    for process in reversed(started):
        proc = process.proc
        if proc is None or proc.returncode is not None:
            continue
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        console.print(f"[dim]stopped {process.name}[/dim]")


def _banner(keys: dict[str, str]) -> None:
    table = Table(title="Aftercare is running", show_header=True, title_justify="left")
    table.add_column("what")
    table.add_column("where")
    table.add_row("Temporal UI", f"http://localhost:{TEMPORAL_UI_PORT}")
    table.add_row("Temporal frontend", f"localhost:{TEMPORAL_PORT}")
    for entry in registry.SERVICES:
        if entry.http_port:
            table.add_row(f"customer {entry.name}", f"http://localhost:{entry.http_port} (links in every message)")
        table.add_row(f"{entry.name} gRPC", f"localhost:{entry.port}")
    table.add_row("mail sink (SMTP)", f"localhost:{SMTP_SINK_PORT} → var/sinks/mail.jsonl")
    table.add_row("SMS and webhook sink", f"http://localhost:{HTTP_SINK_PORT}/sms, /webhooks/<name> → var/sinks/")
    table.add_row(
        "Prometheus metrics",
        ", ".join(f"{name} :{port}" for name, port in METRICS_PORTS.items()) + " (/metrics; Temporal SDK's on port+1)",
    )
    table.add_row("logs", "var/logs/ (JSON lines)")
    console.print(table)
    keys_table = Table(title="Dev API keys (var/api-keys.json)", title_justify="left")
    keys_table.add_column("principal")
    keys_table.add_column("key")
    for principal, key in keys.items():
        keys_table.add_row(principal, key)
    console.print(keys_table)
    console.print(
        "Next, in another terminal: [bold]make demo[/bold] plays a day of sales, claims and repairs, then shows "
        "where to look.\nThe CLI: [bold].venv/bin/aftercare --help[/bold] (e.g. [bold]aftercare ops report[/bold]); "
        "messages sent: [bold].venv/bin/aftercare sinks show mail[/bold].\nPress Ctrl-C to stop everything."
    )


def prepare(var: Path) -> dict[str, str]:
    """Local state and dev keys (made on first start, printed on every start)."""
    (var / "logs").mkdir(parents=True, exist_ok=True)
    return dict(ensure_dev_keys(var / "api-keys.json"))


async def up(var: Path, keys: dict[str, str]) -> int:
    plan = processes(var)
    busy = [port for process in plan for port in process.ports if not _port_free(port)]
    if busy:
        console.print(f"[red]ports in use: {busy}[/red]: is Aftercare (or another Temporal) already running?")
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Process] = []
    try:
        for process in plan:
            started.append(process)
            await _start(process, var)
        _banner(keys)
        return await supervise(started, var, stop)
    except RuntimeError as error:
        console.print(f"[red]{error}[/red]")
        return 1
    finally:
        console.print("stopping…")
        await _stop(started)


# A process that exits is started again after a pause that grows with each exit; one that exits more than
# GIVE_UP_AFTER times within DEATH_WINDOW_S seconds stops everything (something is wrong, not unlucky).
RESTART_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
GIVE_UP_AFTER = 5
DEATH_WINDOW_S = 120.0


async def supervise(started: list[Process], var: Path, stop: asyncio.Event) -> int:
    """Keep every process running until `stop` (Ctrl-C): 0. A process that exits is restarted, with backoff
    and a line saying so; `aftercare dev restart NAME` restarts one at once. 1 when a process keeps dying."""
    deaths: dict[str, list[float]] = {}
    while True:
        waits = {asyncio.create_task(p.proc.wait()): p for p in started if p.proc is not None}
        stopper = asyncio.create_task(stop.wait())
        done, pending = await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if stop.is_set():
            return 0
        for task in done:
            process = waits[task]
            if not await _restart(process, var, stop, deaths):
                return 0 if stop.is_set() else 1


async def _restart(process: Process, var: Path, stop: asyncio.Event, deaths: dict[str, list[float]]) -> bool:
    """Start an exited process again; False when it keeps dying, or when Ctrl-C came during the pause."""
    code = process.proc.returncode if process.proc else None
    if _restart_requested(var, process.name):
        console.print(f"[yellow]restarting {process.name}, as asked[/yellow]")
    else:
        now = time.monotonic()
        recent = [t for t in deaths.get(process.name, []) if now - t < DEATH_WINDOW_S] + [now]
        deaths[process.name] = recent
        if len(recent) > GIVE_UP_AFTER:
            console.print(
                f"[red]{process.name} keeps dying ({len(recent)} exits in {DEATH_WINDOW_S:.0f}s; see "
                f"var/logs/{process.name}.log): stopping everything[/red]"
            )
            return False
        delay = RESTART_BACKOFF_S[min(len(recent), len(RESTART_BACKOFF_S)) - 1]
        console.print(f"[yellow]{process.name} exited with {code}; restarting in {delay:.0f}s[/yellow]")
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False  # Ctrl-C during the pause
        except TimeoutError:
            pass
    try:
        await _start(process, var)
    except RuntimeError as error:  # it did not come up: its exit is seen on the next round
        console.print(f"[red]{error}[/red]")
    return True


def _run_dir(var: Path) -> Path:
    return var / "run"


def _restart_requested(var: Path, name: str) -> bool:
    marker = _run_dir(var) / f"restart-{name}"
    if marker.exists():
        marker.unlink()
        return True
    return False


def request_restart(var: Path, name: str) -> str:
    """`aftercare dev restart NAME`: ask the running `make run` to restart one process now; what happened."""
    pid_file = _run_dir(var) / f"{name}.pid"
    if not pid_file.exists():
        return f"{name} is not running under make run here (no {pid_file})"
    (_run_dir(var) / f"restart-{name}").touch()
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    except ProcessLookupError:
        return f"{name} is not running (its process is gone); make run restarts it by itself"
    return f"asked make run to restart {name}"

"""`make run` copies each process's output to the console and its log: a line that looks like rich markup (as
grpcio's `[/aftercare.warranty.v1.WarrantyService/...]` does) must print as it is, whole, and never stop the
copying (a dead reader fills the pipe and freezes the service; issue 13)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console

from cli import dev

LINES = [
    "E1201 grpc [/aftercare.warranty.v1.WarrantyService/GetWarranty] parse error",
    "[bold]not bold[/bold] [/] [link=x]",
    '{"ts": "2026-12-01T02:00:00Z", "level": "info", "logger": "aftercare.warranty", "msg": "' + "x" * 150 + '"}',
    "after",
]


async def test_markup_looking_lines_print_whole_and_the_copy_goes_on(tmp_path: Path) -> None:
    script = "import sys\n" + "".join(f"print({line!r}, flush=True)\n" for line in LINES)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    process = dev.Process("warranty", [], lambda _: asyncio.sleep(0, True), [])
    process.proc = proc
    console = Console(record=True, width=80, color_system=None)
    dev.console = console
    try:
        await asyncio.wait_for(dev._pump(process, tmp_path / "warranty.log"), 10)
    finally:
        dev.console = Console(highlight=False)
    await proc.wait()
    assert (tmp_path / "warranty.log").read_text().splitlines() == LINES
    shown = console.export_text().splitlines()
    assert shown == [f"{'warranty':>9} | {line}" for line in LINES]  # as printed, one line each, not wrapped


async def test_the_output_is_drained_even_where_no_log_can_be_written(tmp_path: Path) -> None:
    """A reader that stops fills the pipe and freezes the process: without a log folder (or a writable one) the
    output is still read to its end, and the log folder is made when it can be."""
    script = "import sys\n" + "for i in range(20000):\n    print('x' * 100)\n"  # 2 MB: far more than a pipe holds
    for log in (tmp_path / "made" / "logs" / "w.log", Path("/proc/forbidden/w.log")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        process = dev.Process("warranty", [], lambda _: asyncio.sleep(0, True), [], echo=False)
        process.proc = proc
        await asyncio.wait_for(dev._pump(process, log), 20)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    assert len((tmp_path / "made" / "logs" / "w.log").read_bytes()) == 20000 * 101

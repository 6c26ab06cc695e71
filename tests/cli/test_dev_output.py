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

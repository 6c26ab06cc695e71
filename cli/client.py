"""What every CLI command shares: where the services are, which key to use, how to show an error."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import typer
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rich.console import Console
from rich.table import Table

from services.registry import PORTS

As = Annotated[str, typer.Option("--as", help="Principal whose dev key to use (or set AFTERCARE_API_KEY).")]
Limit = Annotated[int, typer.Option(min=1, help="At most this many; the command fetches the pages it needs.")]
Everything = Annotated[bool, typer.Option("--all", help="Every one, however many pages (instead of --limit).")]
T = TypeVar("T")
PAGE = 500  # items per RPC when a command pages on its own (the services allow up to 1000)
RequestId = Annotated[str, typer.Option(help="Idempotency key; reuse it to retry safely. Default: a new UUID.")]


def new_id() -> str:
    return str(uuid.uuid4())


def parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text}") from None


def var_dir() -> Path:
    return Path(os.environ.get("AFTERCARE_VAR_DIR", "var"))


def target(service: str) -> str:
    return os.environ.get(f"AFTERCARE_{service.upper()}_TARGET", f"localhost:{PORTS[service]}")


def dev_keys() -> dict[str, str]:
    """Every dev principal's key, from var/api-keys.json (made by `make run`)."""
    keys_file = var_dir() / "api-keys.json"
    if not keys_file.exists():
        raise typer.BadParameter(f"no {keys_file}: start the system with `make run` first")
    return {str(k): str(v) for k, v in json.loads(keys_file.read_text()).items()}


def api_key(principal: str) -> str:
    """The key from AFTERCARE_API_KEY, else the dev key of `principal` from var/api-keys.json."""
    if key := os.environ.get("AFTERCARE_API_KEY"):
        return key
    keys = dev_keys()
    if principal not in keys:
        raise typer.BadParameter(f"no dev key for {principal!r}; known: {', '.join(sorted(keys))}")
    return str(keys[principal])


@dataclass
class Options:
    """The options every command takes (`aftercare --output ... --tls-ca ...`), set afresh by each invocation."""

    output: str = ""  # "json", "table", or "": each command's own default
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


OPTIONS = Options()


def configure(options: Options) -> None:
    """Called once per invocation with its options; the environment fills in what they leave out."""
    global OPTIONS
    OPTIONS = Options(
        options.output or os.environ.get("AFTERCARE_OUTPUT", ""),
        options.tls_ca or _path("AFTERCARE_CLI_TLS_CA"),
        options.tls_cert or _path("AFTERCARE_CLI_TLS_CERT"),
        options.tls_key or _path("AFTERCARE_CLI_TLS_KEY"),
    )


def _path(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None


def credentials() -> grpc.ChannelCredentials | None:
    """TLS to the services when --tls-ca (AFTERCARE_CLI_TLS_CA) names the CA that signed their certificates;
    mTLS with --tls-cert and --tls-key (AFTERCARE_CLI_TLS_CERT, _KEY)."""
    from services.kit.grpc_server import channel_credentials

    return channel_credentials(OPTIONS.tls_ca, OPTIONS.tls_cert, OPTIONS.tls_key)


def open_channel(address: str) -> grpc.Channel:
    creds = credentials()
    return grpc.insecure_channel(address) if creds is None else grpc.secure_channel(address, creds)


@contextmanager
def channel(service: str) -> Iterator[grpc.Channel]:
    with open_channel(target(service)) as ch:
        yield ch


def metadata(principal: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {api_key(principal)}"),)


def output() -> str:
    """How commands print (`--output`): "json", "table", or "" for each command's own default; "csv" is JSON
    to every command but the reports that write rows (`csv_wanted`)."""
    return "json" if OPTIONS.output == "csv" else OPTIONS.output


def csv_wanted() -> bool:
    return OPTIONS.output == "csv"


def show(message: Message) -> None:
    """An answer: JSON by default, or with `--output table` one row per field (nested fields dotted)."""
    if output() != "table":
        typer.echo(json_format.MessageToJson(message, preserving_proto_field_name=True, indent=2))
        return
    table = Table(show_header=True)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for name, value in _flat(json_format.MessageToDict(message, preserving_proto_field_name=True)):
        table.add_row(name, value)
    Console(highlight=False).print(table)


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in _flat(item, f"{prefix}.{key}" if prefix else key)]
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return [row for i, item in enumerate(value) for row in _flat(item, f"{prefix}[{i}]")]
    return [(prefix, ", ".join(map(str, value)) if isinstance(value, list) else str(value))]


@contextmanager
def rpc_errors() -> Iterator[None]:
    """Print a failed RPC as people read it: code, message, reason and each bad field; exit 1."""
    try:
        yield
    except grpc.RpcError as error:
        typer.secho(f"{error.code().name}: {error.details()}", fg="red", err=True)
        status = rpc_status.from_call(error)
        for detail in status.details if status else []:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                typer.echo(f"  reason: {info.reason} ({info.domain})", err=True)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                for violation in bad.field_violations:
                    typer.echo(f"  {violation.field}: {violation.description}", err=True)
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            typer.echo("  is the system running? start it with `make run`", err=True)
        sys.exit(exit_code(error.code()))


# What a failed call exits with, so scripts can tell the cases apart (sysexits.h; anything else is 1).
EXIT_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT: 65,  # EX_DATAERR: fix the input
    grpc.StatusCode.FAILED_PRECONDITION: 65,
    grpc.StatusCode.NOT_FOUND: 66,  # EX_NOINPUT: no such thing
    grpc.StatusCode.ALREADY_EXISTS: 73,  # EX_CANTCREAT
    grpc.StatusCode.UNAVAILABLE: 69,  # EX_UNAVAILABLE: retry later
    grpc.StatusCode.DEADLINE_EXCEEDED: 69,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 75,  # EX_TEMPFAIL: retry after a while
    grpc.StatusCode.PERMISSION_DENIED: 77,  # EX_NOPERM
    grpc.StatusCode.UNAUTHENTICATED: 77,
}


def exit_code(code: grpc.StatusCode) -> int:
    return EXIT_CODES.get(code, 1)


def collect(fetch: Callable[[str, int], tuple[Sequence[T], str]], limit: int, everything: bool) -> tuple[list[T], bool]:
    """Page through a list RPC: `fetch(page_token, page_size)` answers a page and the next token. Stops at
    `limit` items unless `everything`; also answers whether more remain."""
    items: list[T] = []
    token = ""
    while True:
        page, token = fetch(token, PAGE if everything else min(PAGE, limit - len(items)))
        items.extend(page)
        if not token or (not everything and len(items) >= limit):
            return items, bool(token)


def show_list(key: str, items: Sequence[Message], more: bool) -> None:
    """A list as JSON: its items under `key`, and whether more remain past --limit."""
    rows = [json_format.MessageToDict(item, preserving_proto_field_name=True) for item in items]
    print_json({key: rows, "more": more})


def more_hint(more: bool, shown: int) -> None:
    if more:
        typer.echo(f"{shown} shown; more remain: raise --limit or give --all")


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def duration(text: str) -> timedelta:
    """`90s`, `15m`, `6h` or `2d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise typer.BadParameter("a number and a unit: 90s, 15m, 6h or 2d") from None


def age(span: timedelta) -> str:
    """A span as people read it: 2d 3h, 4h 5m, 6m 7s."""
    seconds = int(span.total_seconds())
    if seconds >= 86400:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 60}m {seconds % 60}s"

"""Every closed set of values the CLI takes is a choice (cli/choices.py): `--help` lists it, shell completion
offers it, and a wrong value is a usage error, exit 64, naming the choices, never a traceback. One switch for
JSON (`-o json`), and lists page on their own (`--limit`, or `--all`)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner, Result

from cli import client
from cli.main import app
from tests.stack import Stack

# Every parameter, in any command, that takes one of a closed set of values.
ENUM_PARAMS = {"state", "fault", "direction", "status", "event", "reason", "need", "page", "kind", "output", "cause"}
ENUM_ARGS = {"serve": {"service"}, "worker": {"what"}}
FREE_TEXT = {"reason": {("warranty", "void"), ("claim", "cancel"), ("claim", "reassign"), ("ops", "cancel"),
                        ("ops", "reassign")}}  # fmt: skip


def walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += walk(sub, (*path, name))
    return found


def is_choice(annotation: Any) -> bool:
    """An Enum, or an optional or repeated one."""
    if isinstance(annotation, type):
        return issubclass(annotation, Enum)
    return any(is_choice(arg) for arg in typing.get_args(annotation) if arg is not type(None))


COMMANDS = walk(typer.main.get_command(app))


def test_every_enum_parameter_of_every_command_is_a_choice() -> None:
    checked = 0
    for path, command in COMMANDS:
        for param in command.params:
            if path in FREE_TEXT.get(str(param.name), set()):
                continue
            if param.name in ENUM_PARAMS | ENUM_ARGS.get(path[-1] if path else "", set()):
                assert is_choice(param.type_descriptor.annotation), (path, param.name)
                checked += 1
    assert checked >= 14  # claim list/file/label, centre status, carrier event, ops find/link, review, sinks, ...


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"AFTERCARE_API_KEY": "ak_unused", "COLUMNS": "240"})


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("claim", "list", "--state", "FOO"), "AWAITING_PARTS"),
        (("ops", "find", "--state", "Europe"), "IN_TRANSIT_TO_CENTRE"),
        (("centre", "status", "RMA-0000-0001", "fixed"), "quality-check"),
        (("carrier", "event", "RMA-0000-0001", "lost"), "exception"),
        (("carrier", "event", "RMA-0000-0001", "delivered", "--direction", "home"), "to-customer"),
        (
            (
                "claim",
                "file",
                "SN-1",
                "--fault",
                "WET",
                "--description",
                "x",
                "--country",
                "DE",
                "--city",
                "B",
                "--line",
                "1",
            ),
            "ACCIDENTAL_DAMAGE",
        ),
        (("warranty", "check", "SN-1", "--fault", "wet"), "BATTERY"),
        (("ops", "review", "reject", "RMA-0000-0001", "--reason", "because"), "suspected-fraud"),
        (("ops", "review", "ask", "RMA-0000-0001", "--need", "photos", "--need", "dna"), "proof-of-purchase"),
        (("ops", "link", "RMA-0000-0001", "--page", "home"), "preferences"),
        (("sinks", "show", "pigeon"), "webhooks"),
        (("centre", "diagnose", "RMA-0000-0001", "--cause", "GREMLINS", "--labour", "5"), "electrical/heating_element"),
        (("webhook", "create", "https://example.com/h", "--event", "claim.exploded"), "claim.state_changed"),
        (("serve", "billing"), "notifications"),
        (("worker", "reminders"), "claims"),
        (("--output", "yaml", "claim", "get", "RMA-0000-0001"), "table"),
        (
            ("product", "create", "K-1", "--display-name", "K", "--category", "k", "--covers", "ELECTRICAL,WET"),
            "MECHANICAL",
        ),
        (("product", "create", "K-1", "--display-name", "K", "--category", "k", "--approval", "maybe"), "rules"),
        (("notification", "prefs", "cus_1", "--channels", "email,fax"), "sms"),
    ],
)
def test_a_wrong_value_is_a_usage_error_naming_the_choices(args: tuple[str, ...], named: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 64, result.output
    assert named.lower() in result.output.lower() and "Traceback" not in result.output
    assert not isinstance(result.exception, ValueError | KeyError)


def test_a_choice_is_taken_in_any_case_as_the_cli_spelled_it() -> None:
    """`--state awaiting_parts` is AWAITING_PARTS; the command gets as far as asking for a key."""
    result = CliRunner().invoke(
        app, ["claim", "list", "--state", "awaiting_parts"], env={"AFTERCARE_VAR_DIR": "/nowhere"}
    )
    assert result.exit_code == 64 and "make run" in result.output  # no key file: past the choice, at the key


def squeezed(text: str) -> str:
    """Help text without its frame and wrapping: a long list of choices wraps inside its column."""
    return "".join(c for c in text.lower() if c.isalnum() or c in "_-|<>")


def test_help_lists_the_choices() -> None:
    assert "<submitted|awaiting_shipment|" in squeezed(invoke("claim", "list", "--help").output)
    assert "|quality-check|ready-to-ship>" in squeezed(invoke("centre", "status", "--help").output)


def test_shell_completion_offers_the_choices() -> None:
    """As bash asks the installed `aftercare` (`aftercare --install-completion` sets it up)."""
    words = {"COMP_WORDS": "aftercare claim list --state AWAITING_", "COMP_CWORD": "4"}
    env = {**os.environ, "_AFTERCARE_COMPLETE": "complete_bash", **words}
    aftercare = Path(sys.executable).parent / "aftercare"
    done = subprocess.run([aftercare], env=env, capture_output=True, text=True, timeout=60, check=True)
    offered = set(done.stdout.split())
    assert {"AWAITING_PARTS", "AWAITING_SHIPMENT", "AWAITING_REVIEW"} <= offered and "CLOSED" not in offered


def test_there_is_one_json_switch() -> None:
    for path, command in COMMANDS:
        assert all("--json" not in param.opts for param in command.params), path


async def test_a_list_pages_on_its_own_up_to_the_limit_or_all(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "PAGE", 2)  # five products take three pages
    skus = [f"K-{i}" for i in range(5)]
    for sku in skus:
        await stack.create_product(sku, category="kettle")
    env = {"AFTERCARE_WARRANTY_TARGET": stack.targets["warranty"], "AFTERCARE_API_KEY": stack.keys["ops"]}

    async def listed(*args: str) -> dict[str, object]:
        result = await asyncio.to_thread(CliRunner().invoke, app, ["product", "list", *args], env=env)
        assert result.exit_code == 0, result.output
        answer: dict[str, object] = json.loads(result.output)
        return answer

    first = await listed("--limit", "3")
    assert [p["sku"] for p in first["products"]] == skus[:3] and first["more"] is True  # type: ignore[attr-defined]
    every = await listed("--all")
    assert [p["sku"] for p in every["products"]] == skus and every["more"] is False  # type: ignore[attr-defined]
    exact = await listed("--limit", "5")
    assert len(exact["products"]) == 5 and exact["more"] is False  # type: ignore[arg-type]

"""`aftercare temporal setup`: register the search attributes ops filter claims by
(workflows/search_attributes.py, the one list) on the namespace the services use. Idempotent: it adds what is
missing, says what was there, and refuses to guess when a name is taken under another type. Compose's
`temporal-setup` and the Kubernetes Job `temporal-setup` run it; `make run`'s dev server gets the same list as
start-up flags."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError

from services.kit.settings import Settings
from services.kit.temporal import target
from workflows import search_attributes as sa

temporal_app = typer.Typer(help="The Temporal side of a deployment.", no_args_is_help=True)


def _type(value: int) -> str:
    return IndexedValueType.Name(IndexedValueType.ValueType(value)).removeprefix("INDEXED_VALUE_TYPE_")


async def _connect(settings: Settings, wait: float) -> Client:
    """The namespace's client, trying again while the server is not up yet (a cluster that is still starting)."""
    from services.kit.temporal import connect

    deadline = time.monotonic() + wait
    while True:
        try:
            return await connect(settings)
        except RuntimeError as error:  # the SDK's "Failed client connect"
            if time.monotonic() > deadline:
                typer.echo(f"Temporal at {target(settings).address} does not answer: {error}", err=True)
                raise typer.Exit(69) from None  # unavailable: retry (the CLI's exit codes)
            await asyncio.sleep(1)


async def _existing(client: Client, namespace: str) -> dict[str, int]:
    answer = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    return dict(answer.custom_attributes)


class Refused(Exception):
    """Temporal would not list or add the attributes; `missing`: what was still to register, when known."""

    def __init__(self, error: RPCError, missing: list[str]):
        super().__init__(error.message)
        self.error, self.missing = error, missing


async def setup(settings: Settings, wait: float) -> tuple[sa.Registration, list[str]]:
    """Register what is missing; what was planned, and the names added. Refused: Temporal would not list or add
    them (with what was missing, when it got that far)."""
    client = await _connect(settings, wait)
    namespace = target(settings).namespace
    try:
        plan = sa.registration(await _existing(client, namespace))
    except RPCError as error:
        raise Refused(error, []) from None
    if plan.missing:
        kinds = {name: IndexedValueType.ValueType(kind) for name, kind in plan.missing.items()}
        request = AddSearchAttributesRequest(search_attributes=kinds, namespace=namespace)
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as error:
            raise Refused(error, [f"{name} ({_type(kind)})" for name, kind in plan.missing.items()]) from None
    listed = await _existing(client, namespace) if plan.missing else {}
    return plan, [name for name in plan.missing if name in listed]


@temporal_app.command("setup")
def temporal_setup(
    wait: Annotated[float, typer.Option(min=0, help="Seconds to keep trying while Temporal is not up yet.")] = 60,
) -> None:
    """Register the search attributes ops filter claims by (the list in workflows/search_attributes.py) on
    AFTERCARE_TEMPORAL_NAMESPACE at AFTERCARE_TEMPORAL_ADDRESS. Safe to run again. Exits 1 when a name is taken
    under another type or Temporal refuses, 69 when Temporal does not answer within --wait."""
    settings = Settings()
    try:
        plan, added = asyncio.run(setup(settings, wait))
    except Refused as refused:
        status = refused.error.status.name if refused.error.status else ""
        typer.echo(f"Temporal refused: {status} {refused.error.message}", err=True)
        if refused.missing:
            hint = " (on Temporal Cloud: tcld namespace search-attributes add)"
            typer.echo(f"still to register{hint}: {', '.join(refused.missing)}", err=True)
        raise typer.Exit(1) from None
    reached = target(settings)
    where = f"{reached.address}, namespace {reached.namespace}"
    for name in plan.present:
        typer.echo(f"already there  {name}")
    for name in added:
        typer.echo(f"added          {name} ({_type(plan.missing[name])})")
    lost = [name for name in plan.missing if name not in added]
    for name in lost:
        typer.echo(f"not added      {name}: Temporal accepted the request but does not list it yet", err=True)
    for name, have, want in plan.clashes:
        typer.echo(f"type clash     {name} is {_type(have)} there; the claims need {_type(want)}", err=True)
    typer.echo(f"{len(added)} added, {len(plan.present)} already there, {len(plan.clashes)} clashes ({where})")
    if plan.clashes or lost:
        raise typer.Exit(1)

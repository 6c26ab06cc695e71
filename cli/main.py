"""`aftercare`: run the services, and use them from the command line as each kind of user would."""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import grpc
import typer
from typer._click.exceptions import UsageError  # Typer carries its own click; every usage mistake is one

from cli import choices
from cli.notifications import notification_app, sinks_app, webhook_app
from cli.ops import ops_app
from cli.repairs import carrier_app, centre_app, claim_app
from cli.temporal import temporal_app
from cli.warranty import product_app, sale_app, warranty_app
from services import registry

app = typer.Typer(
    help="Aftercare: warranties, claims, RMAs and repairs. Services read keys from var/api-keys.json "
    "(made by `make run`) or AFTERCARE_API_KEY; targets from AFTERCARE_<SERVICE>_TARGET. A refused call exits "
    "64 (a usage mistake: an unknown option or value), 65 (bad input or a wrong move), 66 (not found), "
    "69 (unavailable: retry), 73 (already exists), 75 (busy: retry later) or 77 (no key, or not allowed).",
    no_args_is_help=True,
)
# A usage mistake (a wrong option, a value not among the choices) exits 64, EX_USAGE, as sysexits.h says and as
# the other codes above follow; click's own default is 2.
UsageError.exit_code = 64


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"aftercare {version('aftercare')}")
        raise typer.Exit()


@app.callback()
def _options(
    _: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    tls_ca: Annotated[
        Path | None, typer.Option(help="CA (PEM) of the services' TLS certificates: call them over TLS.")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="Client certificate (PEM), when the services ask mTLS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="Its private key (PEM).")] = None,
    output: Annotated[
        choices.Output | None,
        typer.Option(
            "--output",
            "-o",
            case_sensitive=False,
            envvar="AFTERCARE_OUTPUT",
            help="How every command prints (default: JSON for an answer, tables for lists, ops and reports); csv "
            "gives `ops report` as rows, other commands print JSON for it.",
        ),
    ] = None,
) -> None:
    """Aftercare's command line."""
    from cli.client import Options, configure

    configure(Options(output.value if output else "", tls_ca, tls_cert, tls_key))


app.add_typer(product_app, name="product")
app.add_typer(sale_app, name="sale")
app.add_typer(warranty_app, name="warranty")
app.add_typer(claim_app, name="claim")
app.add_typer(centre_app, name="centre")
app.add_typer(carrier_app, name="carrier")
app.add_typer(notification_app, name="notification")
app.add_typer(webhook_app, name="webhook")
app.add_typer(sinks_app, name="sinks")
app.add_typer(temporal_app, name="temporal")
app.add_typer(ops_app, name="ops")
dev_app = typer.Typer(help="Run the whole system locally.", no_args_is_help=True)
app.add_typer(dev_app, name="dev")


@app.command()
def serve(
    service: Annotated[choices.Service, typer.Argument(help="The service to run.")],
    worker: Annotated[bool, typer.Option(help="Run its Temporal activity worker.")] = True,
    api: Annotated[bool, typer.Option(help="Serve its gRPC API (--no-api: a worker replica; health only).")] = True,
) -> None:
    """Run one service: its gRPC API and its activity worker, or one of them (--no-worker / --no-api) when
    deployed split. Configured by AFTERCARE_*."""
    from services.kit import logs, metrics, tracing
    from services.kit.service import serve as serve_app

    if not (api or worker):
        raise typer.BadParameter("--no-api and --no-worker together leave nothing to run")
    entry = registry.entry(service.value)
    settings = entry.settings(run_worker=worker, run_api=api)
    logs.configure(settings.log_level)
    metrics.serve(settings)
    tracing.configure(settings)

    async def main() -> None:
        await serve_app(entry.build(settings))

    asyncio.run(main())


@app.command("worker")
def run_worker(what: Annotated[choices.Worker, typer.Argument(help="The workflow worker to run.")]) -> None:
    """Run the workflow worker: `claims` hosts every workflow (task queue "claims"). Configured by AFTERCARE_*."""
    from services.kit import logs, metrics, tracing
    from services.kit.settings import Settings

    settings = Settings(service=what.value)
    logs.configure(settings.log_level)
    metrics.serve(settings)
    tracing.configure(settings)
    from workflows.worker import serve as serve_claims

    asyncio.run(serve_claims(settings))


@app.command()
def demo(
    sales: Annotated[int, typer.Option(min=10, max=100_000, help="Sales the retailer registers.")] = 300,
) -> None:
    """Play a scripted day against the running system (start it with `make run`): sales, claims, carriers,
    two centres, a declined quote, a replacement, an SLA breach, surveys. Ends with a summary and UI links."""
    from rich.console import Console

    from cli.client import dev_keys, target
    from cli.demo import play, summary
    from services.kit.settings import Settings

    keys = dev_keys()  # the demo acts as several parties: it needs each one's key
    settings = Settings(service="cli")
    console = Console(highlight=False, width=max(Console().width, 120))
    try:
        day = asyncio.run(
            play(
                target("warranty"),
                target("repairs"),
                keys,
                portal_target=target("portal"),
                sales=sales,
                console=console,
            )
        )
    except grpc.aio.AioRpcError as error:
        console.print(f"[red]{error.code().name}: {error.details()}[/red]")
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            console.print("is the system running? start it with `make run` in another terminal")
        raise typer.Exit(1) from None
    summary(day, settings.temporal_ui_url, settings.temporal_namespace, console)


@app.command()
def health(
    target: Annotated[str, typer.Argument(help="host:port of a service's gRPC server.")] = "127.0.0.1:50051",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 2.0,
) -> None:
    """Exit 0 when the gRPC health service at TARGET says SERVING (container health checks)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from cli.client import open_channel

    try:
        with open_channel(target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except grpc.RpcError as error:
        typer.echo(f"{target}: {error.code().name}", err=True)
        raise typer.Exit(1) from None
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    typer.echo(f"{target}: {status}")
    raise typer.Exit(0 if status == "SERVING" else 1)


@dev_app.command("restart")
def dev_restart(
    name: Annotated[str, typer.Argument(help="A process of make run: temporal, sinks, a service, or claims.")],
    var: Annotated[Path, typer.Option(help="Where local state lives.")] = Path("var"),
) -> None:
    """Restart one process of a running `make run` now (after a code change, say); the others keep running."""
    from cli.dev import request_restart

    typer.echo(request_restart(var, name))


@dev_app.command("up")
def dev_up(var: Annotated[Path, typer.Option(help="Where local state lives.")] = Path("var")) -> None:
    """Start Temporal (UI :8233) and every service; Ctrl-C stops them all."""
    from cli.dev import prepare, up

    raise typer.Exit(asyncio.run(up(var, prepare(var))))


if __name__ == "__main__":
    app()

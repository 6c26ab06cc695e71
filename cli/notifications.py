"""`aftercare notification|webhook|sinks`: the delivery log, preferences and webhooks from the command line,
and what the local sinks received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from aftercare.notifications.v1 import notifications_pb2 as pb
from aftercare.notifications.v1 import notifications_pb2_grpc
from google.protobuf import field_mask_pb2
from rich.console import Console
from rich.table import Table

from cli import choices
from cli.client import (
    As,
    Everything,
    Limit,
    RequestId,
    channel,
    collect,
    metadata,
    more_hint,
    new_id,
    output,
    rpc_errors,
    show,
    show_list,
    var_dir,
)

notification_app = typer.Typer(
    help="Notifications: the delivery log, customers' preferences, and sending a template (ops).",
    no_args_is_help=True,
)
webhook_app = typer.Typer(help="Retailers' webhook endpoints: register, list, rotate, delete.", no_args_is_help=True)
sinks_app = typer.Typer(help="The local mail, SMS and webhook sinks that `make run` starts.", no_args_is_help=True)


@contextmanager
def _notifications() -> Iterator[notifications_pb2_grpc.NotificationsServiceStub]:
    with rpc_errors(), channel("notifications") as ch:
        yield notifications_pb2_grpc.NotificationsServiceStub(ch)


def _state(value: pb.Notification.State.ValueType) -> str:
    return pb.Notification.State.Name(value).removeprefix("STATE_")


def _channel(value: pb.Channel.ValueType) -> str:
    return pb.Channel.Name(value).removeprefix("CHANNEL_")


@notification_app.command("list")
def notification_list(
    rma: Annotated[str, typer.Option(help="Only about this claim.")] = "",
    serial: Annotated[str, typer.Option(help="Only about this serial.")] = "",
    recipient: Annotated[str, typer.Option(help='Only to this recipient, e.g. "claim:RMA-…" or "ops".')] = "",
    key_prefix: Annotated[str, typer.Option(help="Only deliveries whose key starts with this.")] = "",
    limit: Limit = 50,
    everything: Everything = False,
    principal: As = "ops",
) -> None:
    """List deliveries, newest first, with their state and attempts: a table, or JSON with -o json."""
    request = pb.ListNotificationsRequest(
        rma=rma, serial=serial, recipient=recipient, idempotency_key_prefix=key_prefix
    )
    with _notifications() as stub:

        def fetch(token: str, size: int) -> tuple[list[pb.Notification], str]:
            request.page_token, request.page_size = token, size
            page = stub.ListNotifications(request, metadata=metadata(principal))
            return list(page.notifications), page.next_page_token

        notifications, more = collect(fetch, limit, everything)
    if output() == "json":
        show_list("notifications", notifications, more)
        return
    table = Table(show_header=True)
    for column in ("created", "template", "channel", "locale", "to", "state", "tries", "subject / reason"):
        table.add_column(column, no_wrap=column != "subject / reason")
    for n in notifications:
        table.add_row(
            n.create_time.ToDatetime(UTC).strftime("%m-%d %H:%M:%S"),
            n.template,
            _channel(n.channel),
            n.locale,
            n.destination,
            _state(n.state),
            str(len(n.attempts)),
            n.reason or n.subject,
        )
    Console(width=max(Console().width, 150)).print(table)
    more_hint(more, len(notifications))


@notification_app.command("get")
def notification_get(message_id: str, principal: As = "ops") -> None:
    """Show one delivery with every attempt."""
    with _notifications() as stub:
        show(stub.GetNotification(pb.GetNotificationRequest(id=message_id), metadata=metadata(principal)))


@notification_app.command("send")
def notification_send(
    template: str,
    recipient: Annotated[str, typer.Argument(help='"claim:<RMA>", "warranty:<serial>" or "ops".')],
    var: Annotated[list[str], typer.Option(help="A template variable as name=value; repeatable.")] = [],  # noqa: B006
    request_id: RequestId = "",
    principal: As = "ops",
) -> None:
    """Send a template to a recipient once per request id (see docs/notifications.md for the templates)."""
    variables = dict(item.partition("=")[::2] for item in var)
    with _notifications() as stub:
        show(
            stub.SendNotification(
                pb.SendNotificationRequest(
                    request_id=request_id or new_id(), template=template, recipient=recipient, variables=variables
                ),
                metadata=metadata(principal),
            )
        )


@notification_app.command("prefs")
def notification_prefs(
    customer_id: str,
    channels: Annotated[str, typer.Option(help='Set the channels, in order: "email", "sms" or "email,sms".')] = "",
    locale: Annotated[str, typer.Option(help="Set the locale, e.g. fr or ko.")] = "",
    marketing: Annotated[bool | None, typer.Option(help="Allow (--marketing) or refuse marketing.")] = None,
    request_id: RequestId = "",
    principal: As = "ops",
) -> None:
    """Show a customer's preferences, or change the ones given."""
    paths: list[str] = []
    prefs = pb.Preferences(customer_id=customer_id)
    if channels:
        picked = choices.parse_list(choices.Channel, channels, "--channels")
        prefs.channels.extend(pb.Channel.ValueType(choices.to_proto(pb.Channel, "CHANNEL_", c)) for c in picked)
        paths.append("channels")
    if locale:
        prefs.locale = locale
        paths.append("locale")
    if marketing is not None:
        prefs.marketing_opt_out = not marketing
        paths.append("marketing_opt_out")
    with _notifications() as stub:
        if not paths:
            show(stub.GetPreferences(pb.GetPreferencesRequest(customer_id=customer_id), metadata=metadata(principal)))
            return
        show(
            stub.UpdatePreferences(
                pb.UpdatePreferencesRequest(
                    request_id=request_id or new_id(),
                    preferences=prefs,
                    update_mask=field_mask_pb2.FieldMask(paths=paths),
                ),
                metadata=metadata(principal),
            )
        )


# -- webhooks ----------------------------------------------------------------------------------------------


@webhook_app.command("create")
def webhook_create(
    url: str,
    event: Annotated[
        list[choices.WebhookEvent], typer.Option(help="An event type to send (default: all); repeatable.")
    ] = [],  # noqa: B006
    retailer: Annotated[str, typer.Option(help="The retailer (ops only).")] = "",
    request_id: RequestId = "",
    principal: As = "retailer:demo-retailer",
) -> None:
    """Register an endpoint. The answer shows its signing secret, once: keep it."""
    with _notifications() as stub:
        show(
            stub.CreateWebhookEndpoint(
                pb.CreateWebhookEndpointRequest(
                    request_id=request_id or new_id(),
                    retailer_id=retailer,
                    url=url,
                    event_types=[e.value for e in event],
                ),
                metadata=metadata(principal),
            )
        )


@webhook_app.command("list")
def webhook_list(
    retailer: Annotated[str, typer.Option(help="The retailer (ops only).")] = "",
    principal: As = "retailer:demo-retailer",
) -> None:
    """List endpoints (no secrets)."""
    with _notifications() as stub:
        show(
            stub.ListWebhookEndpoints(
                pb.ListWebhookEndpointsRequest(retailer_id=retailer), metadata=metadata(principal)
            )
        )


@webhook_app.command("rotate")
def webhook_rotate(
    endpoint_id: str,
    grace: Annotated[int, typer.Option(help="Seconds the old secret keeps signing (default one day).")] = 0,
    request_id: RequestId = "",
    principal: As = "retailer:demo-retailer",
) -> None:
    """Replace an endpoint's secret; deliveries carry both signatures during the grace period."""
    with _notifications() as stub:
        show(
            stub.RotateWebhookSecret(
                pb.RotateWebhookSecretRequest(
                    request_id=request_id or new_id(), id=endpoint_id, grace_period_seconds=grace
                ),
                metadata=metadata(principal),
            )
        )


@webhook_app.command("delete")
def webhook_delete(endpoint_id: str, request_id: RequestId = "", principal: As = "retailer:demo-retailer") -> None:
    """Delete an endpoint; nothing more is sent to it."""
    with _notifications() as stub:
        stub.DeleteWebhookEndpoint(
            pb.DeleteWebhookEndpointRequest(request_id=request_id or new_id(), id=endpoint_id),
            metadata=metadata(principal),
        )
    typer.echo(f"deleted {endpoint_id}")


# -- sinks -------------------------------------------------------------------------------------------------


@sinks_app.command("serve")
def sinks_serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    smtp_port: Annotated[int, typer.Option(help="SMTP port.")] = 1025,
    http_port: Annotated[int, typer.Option(help="HTTP port for /sms and /webhooks/<name>.")] = 8025,
) -> None:
    """Run the local mail, SMS and webhook sinks; what they receive goes to var/sinks/*.jsonl."""
    import asyncio

    from devtools.sinks import serve
    from services.kit import logs

    logs.configure("INFO")
    asyncio.run(serve(var_dir() / "sinks", host, smtp_port, http_port))


def _last(name: str, count: int) -> list[dict[str, object]]:
    path: Path = var_dir() / "sinks" / f"{name}.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-count:]]


@sinks_app.command("show")
def sinks_show(
    kind: Annotated[choices.SinkKind, typer.Argument(case_sensitive=False)] = choices.MAIL,
    last: Annotated[int, typer.Option("-n", "--last", help="How many, newest last.")] = 10,
    full: Annotated[bool, typer.Option(help="Print each message's text in full.")] = False,
) -> None:
    """Show the last messages a sink received."""
    records = _last(kind, last)
    if not records:
        typer.echo(f"nothing in var/sinks/{kind}.jsonl yet")
        return
    for r in records:
        if kind == "mail":
            typer.echo(f"{r['received_at']}  to {', '.join(r['to'])}  [{r['language']}]  {r['subject']}")  # type: ignore[arg-type]
            if full:
                typer.echo(f"{r['text']}\n")
        elif kind == "sms":
            body = json.loads(str(r["body"]))
            typer.echo(f"{r['received_at']}  to {body['to']}  {body['body']}")
        else:
            headers = r["headers"]
            assert isinstance(headers, dict)
            typer.echo(f"{r['received_at']}  {r['path']}  id={headers.get('webhook-id', '')}")
            typer.echo(f"  {r['body']}" if full else f"  {str(r['body'])[:160]}")

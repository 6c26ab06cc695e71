"""Local stand-ins for the outside world's providers, used by `make run` and the tests over real sockets:
an SMTP server (aiosmtpd) and an HTTP server that plays an SMS provider (`POST /sms`) and a retailer's
webhook receiver (`POST /webhooks/<name>`). What they receive goes to `<dir>/mail.jsonl`, `sms.jsonl` and
`webhooks.jsonl` (one JSON object per line) and to their in-memory lists.

They can misbehave on purpose, for tests: answer "try later" for a while, or hold a message mid-session."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.kit.grpc_server import wait_for_shutdown_signal

log = logging.getLogger("aftercare.sinks")
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every recipient's address at INFO


@dataclass
class SunkMail:
    received_at: str
    message_id: str
    mail_from: str
    to: list[str]
    subject: str
    language: str
    text: str
    html: str
    list_unsubscribe: str = ""  # RFC 8058 headers, on offers
    list_unsubscribe_post: str = ""


@dataclass
class SunkRequest:
    received_at: str
    path: str
    headers: dict[str, str]
    body: str


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Journal:
    def __init__(self, directory: Path | None, name: str):
        self.path = directory / f"{name}.jsonl" if directory is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: Any) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps every message. `busy_for` answers the next N messages 451 (try
    later); `refuse` answers 550 to these recipients; `hold` makes the server wait at RCPT until it is set."""

    directory: Path | None = None
    messages: list[SunkMail] = field(default_factory=list)
    busy_for: int = 0
    refuse: set[str] = field(default_factory=set)
    hold: asyncio.Event | None = None
    held: asyncio.Event = field(default_factory=asyncio.Event)  # set when a session waits at `hold`

    def __post_init__(self) -> None:
        self._journal = _Journal(self.directory, "mail")

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.hold is not None and not self.hold.is_set():
            self.held.set()
            await self.hold.wait()
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.busy_for > 0:
            self.busy_for -= 1
            return "451 4.3.0 Try again later"
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        mail = SunkMail(
            received_at=_now(),
            message_id=str(msg.get("Message-ID", "")),
            mail_from=str(envelope.mail_from),
            to=list(envelope.rcpt_tos),
            subject=str(msg.get("Subject", "")),
            language=str(msg.get("Content-Language", "")),
            text=text.get_content() if text is not None else "",
            html=html.get_content() if html is not None else "",
            list_unsubscribe=str(msg.get("List-Unsubscribe", "")),
            list_unsubscribe_post=str(msg.get("List-Unsubscribe-Post", "")),
        )
        self.messages.append(mail)
        self._journal.write(mail)
        return "250 Message accepted for delivery"


async def start_mail_sink(sink: MailSink, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(sink, hostname="aftercare-sink", timeout=30), host, port)


@dataclass
class HttpSink:
    """`POST /sms` answers {id}; `POST /webhooks/<name>` answers `webhook_status`. `busy_for` answers the
    next N requests 503."""

    directory: Path | None = None
    sms: list[SunkRequest] = field(default_factory=list)
    webhooks: list[SunkRequest] = field(default_factory=list)
    busy_for: int = 0
    webhook_status: int = 204

    def __post_init__(self) -> None:
        self._sms_journal = _Journal(self.directory, "sms")
        self._webhook_journal = _Journal(self.directory, "webhooks")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/sms", self._on_sms)
        app.router.add_post("/webhooks/{name}", self._on_webhook)
        return app

    async def _record(self, request: web.Request) -> SunkRequest:
        body = await request.read()
        return SunkRequest(
            received_at=_now(),
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body.decode("utf-8", "replace"),
        )

    async def _on_sms(self, request: web.Request) -> web.Response:
        if self.busy_for > 0:
            self.busy_for -= 1
            return web.json_response({"error": "try later"}, status=503)
        got = await self._record(request)
        try:
            payload = json.loads(got.body)
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if not str(payload.get("to", "")).startswith("+") or not payload.get("body"):
            return web.json_response({"error": "to (E.164) and body are required"}, status=422)
        self.sms.append(got)
        self._sms_journal.write(got)
        return web.json_response({"id": f"sms_{len(self.sms)}"})

    async def _on_webhook(self, request: web.Request) -> web.Response:
        if self.busy_for > 0:
            self.busy_for -= 1
            return web.Response(status=503)
        got = await self._record(request)
        self.webhooks.append(got)
        self._webhook_journal.write(got)
        return web.Response(status=self.webhook_status)


async def start_http_sink(sink: HttpSink, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(sink.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve(directory: Path, host: str, smtp_port: int, http_port: int) -> None:
    """Run both sinks until cancelled (`aftercare serve sinks`)."""
    mail_server = await start_mail_sink(MailSink(directory), host, smtp_port)
    runner = await start_http_sink(HttpSink(directory), host, http_port)
    log.info("sinks ready", extra={"smtp": f"{host}:{smtp_port}", "http": f"{host}:{http_port}", "dir": str(directory)})
    try:
        await wait_for_shutdown_signal()
    finally:
        mail_server.close()
        await runner.cleanup()
        log.info("sinks stopped")

"""The providers a message leaves through: SMTP for e-mail, an HTTP JSON SMS provider, and retailers'
webhook endpoints. Each `send` returns the provider's message id or raises `Temporary` (try again later)
or `Permanent` (record as failed). Errors carry a reason, never an address."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosmtplib
import httpx

from services.notifications.domain.webhooks import (
    UrlRefused,
    check_url,
    dev_allows,
    refused_address,
    signed_headers,
)
from services.notifications.rendering import Rendered


class DeliveryError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Temporary(DeliveryError):
    """The provider could not take the message now: retried with backoff."""


class Permanent(DeliveryError):
    """The message can never be delivered as addressed: recorded as failed, not retried."""


def _http_outcome(status: int, what: str) -> None:
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise Permanent(f"{what} answered HTTP {status}: redirects are not followed")
    if status in (408, 425, 429) or status >= 500:
        raise Temporary(f"{what} answered HTTP {status}")
    raise Permanent(f"{what} answered HTTP {status}")


class EmailChannel:
    def __init__(
        self, host: str, port: int, sender: str, *, timeout: float, username: str = "", password: str = ""
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.username, self.password = username, password

    async def send(self, message_id: str, to: str, rendered: Rendered) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = rendered.subject
        msg["Message-ID"] = f"<{message_id}@aftercare>"
        msg["Date"] = formatdate(usegmt=True)
        msg.set_content(rendered.text)
        msg.add_alternative(rendered.html, subtype="html")
        msg["Content-Language"] = rendered.locale  # after the parts: set_content drops Content-* headers
        if rendered.unsubscribe_url:  # RFC 8058 one-click unsubscribe, for offers
            msg["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        try:
            await aiosmtplib.send(
                msg,
                hostname=self.host,
                port=self.port,
                timeout=self.timeout,
                username=self.username or None,
                password=self.password or None,
                start_tls=None if self.username else False,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            kind = Permanent if all(c >= 500 for c in codes) else Temporary
            raise kind(f"SMTP refused the recipient ({', '.join(map(str, codes))})") from None
        except aiosmtplib.SMTPResponseException as exc:
            kind = Permanent if exc.code >= 500 else Temporary
            raise kind(f"SMTP {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise Temporary(f"SMTP unreachable ({type(exc).__name__})") from None
        return f"<{message_id}@aftercare>"


class SmsChannel:
    """An SMS provider that takes `POST {to, body, client_reference}` as JSON and answers `{id}`."""

    def __init__(self, url: str, *, timeout: float, token: str = "") -> None:
        self.url, self.timeout = url, timeout
        self.headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(follow_redirects=False)

    async def send(self, message_id: str, to: str, rendered: Rendered) -> str:
        body = {"to": to, "body": rendered.sms, "client_reference": message_id}
        try:
            answer = await self._client.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise Temporary(f"SMS provider unreachable ({type(exc).__name__})") from None
        _http_outcome(answer.status_code, "SMS provider")
        try:
            return str(answer.json().get("id", ""))
        except ValueError:
            return ""

    async def close(self) -> None:
        await self._client.aclose()


async def check_target(url: str, *, allow_dev_targets: bool) -> str:
    """Refuse a webhook URL whose scheme or any resolved address is not allowed (see check_url); the address
    to connect to. Run when an endpoint is registered and before every delivery, since DNS answers change;
    the delivery then connects to this checked address (`pinned`), so a second answer cannot move it."""
    host, port = check_url(url, allow_dev_targets=allow_dev_targets)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=6)
    except OSError:
        raise UrlRefused("has a host name that does not resolve") from None
    for info in infos:
        reason = refused_address(ipaddress.ip_address(info[4][0]))
        if reason and not dev_allows(reason, allow_dev_targets):
            raise UrlRefused(f"resolves to a {reason} address")
    if not infos:
        raise UrlRefused("has a host name that does not resolve")
    return str(infos[0][4][0])


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The request for `url` sent to `address`: the URL with the address for its host, the Host header and,
    for https, the SNI name (which the certificate is checked against) still naming the host."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"host": parts.netloc}, extensions


class WebhookChannel:
    def __init__(self, *, timeout: float, allow_dev_targets: bool) -> None:
        self.timeout, self.allow_dev_targets = timeout, allow_dev_targets
        self._client = httpx.AsyncClient(follow_redirects=False, headers={"user-agent": "Aftercare-Webhooks/1"})

    async def send(self, message_id: str, url: str, secrets: list[str], body: bytes) -> str:
        try:
            address = await check_target(url, allow_dev_targets=self.allow_dev_targets)
        except UrlRefused as exc:
            raise Permanent(f"URL refused: {exc}") from None
        target, host, extensions = pinned(url, address)
        headers = signed_headers(secrets, message_id, int(time.time()), body) | host
        try:
            answer = await self._client.post(
                target, content=body, headers=headers, timeout=self.timeout, extensions=extensions
            )
        except httpx.HTTPError as exc:
            raise Temporary(f"endpoint unreachable ({type(exc).__name__})") from None
        _http_outcome(answer.status_code, "endpoint")
        return ""

    async def close(self) -> None:
        await self._client.aclose()

"""Retailer webhooks: Standard Webhooks signatures and which URLs may receive them. Pure: no I/O.

A delivery carries `webhook-id` (the message id, the same on every retry), `webhook-timestamp` (Unix
seconds of the attempt) and `webhook-signature`: `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, one
per live secret, space-separated, so a receiver still holding the previous secret verifies during the
grace period of a rotation. The receiving side is `clients/webhook_verifier.py`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(live_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in live_secrets),
        "content-type": "application/json",
    }


class UrlRefused(ValueError):
    """A webhook URL this service will not call; the message says why, without echoing addresses."""


def check_url(url: str, *, allow_dev_targets: bool) -> tuple[str, int]:
    """The host and port of an acceptable webhook URL: https, no user info, and if the host is an IP
    address, a public one (see `refused_address`). The dev setting also allows http and loopback (a
    receiver on the developer's machine); private, link-local and the rest stay refused."""
    if len(url) > 2000:
        raise UrlRefused("is longer than 2000 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_dev_targets):
        raise UrlRefused("must be an https:// URL")
    if parts.username or parts.password:
        raise UrlRefused("must not carry a user name or password")
    if not parts.hostname:
        raise UrlRefused("has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UrlRefused("has an invalid port") from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and (reason := refused_address(literal)) and not dev_allows(reason, allow_dev_targets):
        raise UrlRefused(f"points at a {reason} address")
    return parts.hostname, port


def dev_allows(reason: str, allow_dev_targets: bool) -> bool:
    return allow_dev_targets and reason == "loopback"


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why a webhook may not go to this address ("" if it may): no loopback, private, link-local (cloud
    metadata), multicast, reserved or unspecified targets; IPv4-mapped IPv6 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason, hit in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("unspecified", address.is_unspecified),
    ):
        if hit:
            return reason
    if not address.is_global:
        return "non-public"
    return ""

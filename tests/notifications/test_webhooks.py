"""Webhook signatures verify with the shipped verifier, which refuses a tampered body, a stale timestamp,
a replayed id and a wrong secret; rotation keeps the old secret working; unsafe targets are refused."""

from __future__ import annotations

import ipaddress
import time
from datetime import UTC, datetime, timedelta

import pytest

from clients.webhook_verifier import WebhookVerificationError, WebhookVerifier
from services.notifications.channels import check_target
from services.notifications.delivery import live_secrets
from services.notifications.domain.webhooks import (
    UrlRefused,
    check_url,
    new_secret,
    refused_address,
    signed_headers,
)
from services.notifications.persistence.tables import EndpointRow

BODY = b'{"data":{"rma":"RMA-7KQM-X3TD","state":"RECEIVED"},"type":"claim.state_changed"}'


def signed(secrets: list[str], msg_id: str = "msg_1", at: int | None = None, body: bytes = BODY) -> dict[str, str]:
    return signed_headers(secrets, msg_id, int(time.time()) if at is None else at, body)


def refused(verifier: WebhookVerifier, body: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        verifier.verify(body, headers)
    return caught.value.reason


def test_a_genuine_delivery_verifies_and_yields_its_payload() -> None:
    secret = new_secret()
    payload = WebhookVerifier(secret).verify(BODY, signed([secret]))
    assert payload["data"]["state"] == "RECEIVED"


def test_tampered_stale_replayed_and_foreign_deliveries_are_refused() -> None:
    secret = new_secret()
    verifier = WebhookVerifier(secret)
    assert refused(verifier, BODY.replace(b"RECEIVED", b"CLOSED"), signed([secret])) == "BAD_SIGNATURE"
    assert refused(verifier, BODY, signed([secret], at=int(time.time()) - 301)) == "STALE_TIMESTAMP"
    assert refused(verifier, BODY, signed([secret], at=int(time.time()) + 301)) == "STALE_TIMESTAMP"
    assert refused(verifier, BODY, signed([new_secret()])) == "BAD_SIGNATURE"
    assert refused(verifier, BODY, {"webhook-id": "msg_1"}) == "MISSING_HEADERS"
    headers = signed([secret], msg_id="msg_once")
    verifier.verify(BODY, headers)
    assert refused(verifier, BODY, headers) == "REPLAYED"


def test_within_five_minutes_is_fresh() -> None:
    secret = new_secret()
    WebhookVerifier(secret).verify(BODY, signed([secret], at=int(time.time()) - 290))


def test_after_a_rotation_both_the_old_and_the_new_secret_verify() -> None:
    old, new = new_secret(), new_secret()
    headers = signed([new, old], msg_id="msg_rot")
    assert WebhookVerifier(old).verify(BODY, headers)["type"] == "claim.state_changed"
    assert WebhookVerifier(new).verify(BODY, headers)["type"] == "claim.state_changed"
    assert WebhookVerifier([new, old]).verify(BODY, signed([new], msg_id="msg_new_only"))


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://user:pw@example.com/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.20/hook",
        "https://172.16.5.5/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "ftp://example.com/hook",
        "https:///nohost",
    ],
)
def test_unsafe_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(url, allow_dev_targets=False)


async def test_a_host_name_resolving_to_loopback_is_refused_unless_the_dev_setting_allows_it() -> None:
    with pytest.raises(UrlRefused, match="loopback"):
        await check_target("https://localhost:8443/hook", allow_dev_targets=False)
    await check_target("http://localhost:8025/webhooks/demo", allow_dev_targets=True)
    for still_refused in ("https://10.0.0.8/hook", "https://169.254.169.254/", "https://[fe80::1]/hook"):
        with pytest.raises(UrlRefused):
            await check_target(still_refused, allow_dev_targets=True)


def test_public_addresses_are_allowed() -> None:
    assert check_url("https://93.184.216.34/hook", allow_dev_targets=False) == ("93.184.216.34", 443)
    assert refused_address(ipaddress.ip_address("2606:4700::1111")) == ""
    assert refused_address(ipaddress.ip_address("100.64.0.1")) != ""  # carrier-grade NAT is not public


def test_a_rotated_secret_stops_signing_when_its_grace_period_ends() -> None:
    ends = datetime(2026, 5, 1, 12, tzinfo=UTC)
    endpoint = EndpointRow(
        id="whe_1",
        retailer_id="acme",
        url="https://example.com/h",
        secret="new",
        previous_secret="old",
        previous_expires_at=ends,
        created_at=ends - timedelta(days=1),
    )
    assert live_secrets(endpoint, ends - timedelta(microseconds=1)) == ["new", "old"]
    assert live_secrets(endpoint, ends) == ["new"]
    assert live_secrets(endpoint, ends + timedelta(days=1)) == ["new"]
    never_rotated = endpoint.model_copy(update={"previous_secret": "", "previous_expires_at": None})
    assert live_secrets(never_rotated, ends - timedelta(days=2)) == ["new"]

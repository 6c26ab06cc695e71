"""The notifications API over gRPC: who may do what, field-by-field errors, idempotent retries, webhook
endpoints with a secret shown once and rotated with a grace period, and unsafe URLs refused at the door."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb

from clients.webhook_verifier import WebhookVerifier
from tests.rpc import failure
from tests.stack import RETAILER, Stack, new_id

pytestmark = pytest.mark.timeout(60)
OTHER = "retailer:other-retailer"


def endpoint_request(stack: Stack, **fields: object) -> npb.CreateWebhookEndpointRequest:
    base: dict[str, object] = {"request_id": new_id(), "url": f"{stack.http_url}/webhooks/acme"}
    return npb.CreateWebhookEndpointRequest(**(base | fields))  # type: ignore[arg-type]


async def test_a_webhook_endpoint_shows_its_secret_once_and_a_retry_gets_the_same_answer(stack: Stack) -> None:
    request = endpoint_request(stack, event_types=["claim.state_changed"])
    created = await stack.notifications.CreateWebhookEndpoint(request, metadata=stack.as_(RETAILER))
    again = await stack.notifications.CreateWebhookEndpoint(request, metadata=stack.as_(RETAILER))
    assert created == again and created.secret.startswith("whsec_")
    assert created.endpoint.retailer_id == "demo-retailer"
    listed = await stack.notifications.ListWebhookEndpoints(
        npb.ListWebhookEndpointsRequest(), metadata=stack.as_(RETAILER)
    )
    assert [e.id for e in listed.endpoints] == [created.endpoint.id]
    assert "whsec_" not in str(listed)
    other = await stack.notifications.ListWebhookEndpoints(npb.ListWebhookEndpointsRequest(), metadata=stack.as_(OTHER))
    assert list(other.endpoints) == []
    gone = await failure(
        stack.notifications.DeleteWebhookEndpoint(
            npb.DeleteWebhookEndpointRequest(request_id=new_id(), id=created.endpoint.id), metadata=stack.as_(OTHER)
        )
    )
    assert (gone.code, gone.reason) == (grpc.StatusCode.NOT_FOUND, "ENDPOINT_NOT_FOUND")
    await stack.notifications.DeleteWebhookEndpoint(
        npb.DeleteWebhookEndpointRequest(request_id=new_id(), id=created.endpoint.id), metadata=stack.as_(RETAILER)
    )
    listed = await stack.notifications.ListWebhookEndpoints(
        npb.ListWebhookEndpointsRequest(), metadata=stack.as_(RETAILER)
    )
    assert list(listed.endpoints) == []


async def test_a_rotated_secret_signs_alongside_the_old_one_during_the_grace_period(stack: Stack) -> None:
    created = await stack.notifications.CreateWebhookEndpoint(endpoint_request(stack), metadata=stack.as_(RETAILER))
    rotated = await stack.notifications.RotateWebhookSecret(
        npb.RotateWebhookSecretRequest(request_id=new_id(), id=created.endpoint.id, grace_period_seconds=3600),
        metadata=stack.as_(RETAILER),
    )
    assert rotated.secret != created.secret
    window = rotated.endpoint.previous_secret_expire_time.seconds - rotated.endpoint.rotate_time.seconds
    assert window == 3600
    # A message sent now carries both signatures: a receiver on either secret accepts it.
    await stack.notifications.SendNotification(
        npb.SendNotificationRequest(
            request_id=new_id(),
            template="claim.state_changed",
            recipient="retailer:demo-retailer",
            variables={
                "rma": "RMA-TEST-0009",
                "serial": "SN-9",
                "sku": "KETTLE-3000",
                "state": "RECEIVED",
                "previous_state": "IN_TRANSIT_TO_CENTRE",
                "event": "RECEIVED",
                "occurred_at": "2026-11-24T10:00:00+00:00",
            },
        ),
        metadata=stack.as_("service"),
    )
    while not stack.http.webhooks:  # noqa: ASYNC110 - bounded by the test timeout
        await asyncio.sleep(0.1)
    (hook,) = stack.http.webhooks
    body = hook.body.encode()
    assert WebhookVerifier(created.secret).verify(body, hook.headers)["data"]["rma"] == "RMA-TEST-0009"
    assert WebhookVerifier(rotated.secret).verify(body, hook.headers)["type"] == "claim.state_changed"


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hook",
        "ftp://example.com/hook",
        "https://u:p@x.io/",
    ],
)
async def test_unsafe_webhook_urls_are_refused_at_registration(stack: Stack, url: str) -> None:
    assert stack.notifications_settings.webhook_dev_targets  # even with loopback allowed for the local sink
    bad = await failure(
        stack.notifications.CreateWebhookEndpoint(endpoint_request(stack, url=url), metadata=stack.as_(RETAILER))
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "url" in bad.fields


async def test_who_may_do_what(stack: Stack) -> None:
    send = npb.SendNotificationRequest(
        request_id=new_id(), template="device_received", recipient="claim:RMA-X", variables={"rma": "RMA-X"}
    )
    for principal in (RETAILER, "centre:demo-centre", "carrier:local"):
        denied = await failure(stack.notifications.SendNotification(send, metadata=stack.as_(principal)))
        assert (denied.code, denied.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    denied = await failure(
        stack.notifications.CreateWebhookEndpoint(
            endpoint_request(stack, retailer_id="other-retailer"), metadata=stack.as_(RETAILER)
        )
    )
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    stranger = await failure(
        stack.notifications.GetPreferences(
            npb.GetPreferencesRequest(customer_id="cus_aaaaaaaaaaaaaaaaaaaaaaaa"), metadata=stack.as_(RETAILER)
        )
    )
    assert (stranger.code, stranger.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    unknown = await failure(
        stack.notifications.GetNotification(npb.GetNotificationRequest(id="msg_nope"), metadata=stack.as_("ops"))
    )
    assert unknown.code == grpc.StatusCode.NOT_FOUND
    nokey = await failure(stack.notifications.ListNotifications(npb.ListNotificationsRequest()))
    assert nokey.code == grpc.StatusCode.UNAUTHENTICATED


async def test_bad_requests_name_every_field(stack: Stack) -> None:
    bad = await failure(
        stack.notifications.SendNotification(
            npb.SendNotificationRequest(template="nope", recipient="jo@example.com"), metadata=stack.as_("ops")
        )
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"request_id", "template", "recipient"} <= set(bad.fields)
    assert "jo@example.com" not in bad.message
    bad = await failure(
        stack.notifications.UpdatePreferences(
            npb.UpdatePreferencesRequest(
                request_id=new_id(),
                preferences=npb.Preferences(
                    customer_id="nobody", channels=[npb.CHANNEL_WEBHOOK], locale="not a locale!"
                ),
            ),
            metadata=stack.as_("ops"),
        )
    )
    assert set(bad.fields) == {"preferences.customer_id", "preferences.channels", "preferences.locale"}
    bad = await failure(
        stack.notifications.ListNotifications(
            npb.ListNotificationsRequest(page_token="garbage"), metadata=stack.as_("ops")
        )
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in bad.fields
    reused = new_id()
    first = npb.SendNotificationRequest(
        request_id=reused,
        template="sla_breached",
        recipient="ops",
        variables={"rma": "R", "centre_id": "c", "due_at": ""},
    )
    await stack.notifications.SendNotification(first, metadata=stack.as_("ops"))
    changed = npb.SendNotificationRequest()
    changed.CopyFrom(first)
    changed.variables["centre_id"] = "d"
    again = await failure(stack.notifications.SendNotification(changed, metadata=stack.as_("ops")))
    assert (again.code, again.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")

"""One claim walked through its life over the real APIs leaves exactly the messages a customer and a
retailer should get, in the customer's locale, in the sinks and in ListNotifications; no personal data in
the workflow's history or the logs."""

from __future__ import annotations

import json
import logging

import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as pb

from clients.webhook_verifier import WebhookVerifier
from contracts.claims import ClaimStatus, claim_workflow_id
from tests.stack import CENTRE, RETAILER, Stack, new_id, new_serial

pytestmark = pytest.mark.timeout(90)
TO_CENTRE = pb.DIRECTION_TO_CENTRE
PERSONAL = ("jo@example.com", "Invalidenstr", "Berlin")


async def test_a_claim_from_filing_to_closed_sends_each_message_once_in_the_customers_locale(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    endpoint = await stack.notifications.CreateWebhookEndpoint(
        npb.CreateWebhookEndpointRequest(request_id=new_id(), url=f"{stack.http_url}/webhooks/demo"),
        metadata=stack.as_(RETAILER),
    )
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial)
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    claim = await stack.repair_and_close(claim.rma, score=10)
    handle = stack.temporal.get_workflow_handle(claim_workflow_id(claim.rma), result_type=ClaimStatus)
    await handle.result()  # the run ends only once its messages are out

    tracking = claim.shipments[-1].tracking_number
    assert [m.subject for m in stack.mail.messages] == [
        f"La demande {claim.rma} est acceptée",
        f"Nous avons reçu votre appareil (demande {claim.rma})",
        f"Votre appareil est en route (demande {claim.rma})",
        f"Livré : demande {claim.rma}",
        f"La demande {claim.rma} est clôturée",
    ]
    for mail in stack.mail.messages:
        assert mail.to == ["jo@example.com"] and mail.language == "fr"
        assert claim.rma in mail.text and "<html" in mail.html and mail.message_id.endswith("@aftercare>")
    assert tracking in stack.mail.messages[2].text
    assert "Résultat : réparé" in stack.mail.messages[-1].text

    verifier = WebhookVerifier(endpoint.secret)
    payloads = [verifier.verify(w.body.encode(), w.headers) for w in stack.http.webhooks]
    assert [p["data"]["state"] for p in payloads] == [
        *("AWAITING_SHIPMENT", "RECEIVED", "DIAGNOSING", "REPAIRING"),
        *("QUALITY_CHECK", "READY_TO_SHIP", "DELIVERED", "CLOSED"),
    ]
    assert {p["type"] for p in payloads} == {"claim.state_changed"}
    assert all(p["data"]["rma"] == claim.rma for p in payloads)

    listed = await stack.notifications.ListNotifications(
        npb.ListNotificationsRequest(rma=claim.rma), metadata=stack.as_("ops")
    )
    assert len(listed.notifications) == 5 + 8
    assert all(n.state == npb.Notification.STATE_SENT for n in listed.notifications)
    emails = [n for n in listed.notifications if n.channel == npb.CHANNEL_EMAIL]
    assert [n.template for n in reversed(emails)] == [
        *("claim_accepted", "device_received", "shipped", "delivered", "claim_closed"),
    ]
    assert {(n.destination, n.locale) for n in emails} == {("j***@example.com", "fr")}
    assert all(len(n.attempts) == 1 and n.attempts[0].outcome == npb.DeliveryAttempt.OUTCOME_SENT for n in emails)
    # The centre is assigned after the acceptance: it sees the claim's messages from then on.
    for principal, visible in ((RETAILER, 13), (CENTRE, 11), ("retailer:other-retailer", 0)):
        seen = await stack.notifications.ListNotifications(
            npb.ListNotificationsRequest(rma=claim.rma), metadata=stack.as_(principal)
        )
        assert len(seen.notifications) == visible, principal

    history = json.dumps(json.loads((await handle.fetch_history()).to_json()))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for personal in PERSONAL:
        assert personal not in history and personal not in logged

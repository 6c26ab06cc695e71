"""Exactly one message per event through the real activity, the real Temporal dev server, the real
warranty service (which owns the recipient) and the sinks over real sockets: when the provider asks to try
later, when it is down for a while, when the same event is raised twice, when a worker dies mid-send and
when the customer opted out of marketing. A permanent failure is recorded, not retried forever."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from google.protobuf import field_mask_pb2

from contracts.notifications import NotificationRequest, notify_workflow_id
from contracts.queues import CLAIMS as WORKFLOWS_QUEUE
from tests.stack import Stack, new_id, new_serial, until
from workflows.notify import NotifyWorkflow

pytestmark = pytest.mark.timeout(90)
Notification = npb.Notification
ROOT = Path(__file__).resolve().parents[2]


async def owner(stack: Stack) -> tuple[str, str]:
    """A registered sale (its owner: jo@example.com, French); its serial and the owner's customer id."""
    await stack.product()
    serial = new_serial()
    await stack.sale(serial)
    got = await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_("ops"))
    return serial, got.warranty.customer_id


async def send(stack: Stack, serial: str, *, template: str = "device_received", request_id: str = "") -> str:
    variables = {"rma": "RMA-TEST-0001"}
    if template == "extended_plan_offer":
        variables = {"serial": serial, "sku": "KETTLE-3000", "coverage_end_at": "2027-01-15T00:00:00+00:00"}
    answer = await stack.notifications.SendNotification(
        npb.SendNotificationRequest(
            request_id=request_id or new_id(), template=template, recipient=f"warranty:{serial}", variables=variables
        ),
        metadata=stack.as_("ops"),
    )
    return answer.idempotency_key


async def finished(stack: Stack, key: str) -> list[Notification]:
    """Wait for the message's workflow to end; its deliveries."""
    await stack.temporal.get_workflow_handle(notify_workflow_id(key)).result()
    return await deliveries(stack, key)


async def deliveries(stack: Stack, key: str) -> list[Notification]:
    listed = await stack.notifications.ListNotifications(
        npb.ListNotificationsRequest(idempotency_key_prefix=key), metadata=stack.as_("ops")
    )
    return list(listed.notifications)


def outcomes(n: Notification) -> list[str]:
    return [npb.DeliveryAttempt.Outcome.Name(a.outcome).removeprefix("OUTCOME_") for a in n.attempts]


async def test_a_provider_asking_to_try_later_gets_the_message_once_on_the_retry(stack: Stack) -> None:
    serial, _ = await owner(stack)
    stack.mail.busy_for = 1  # 451 to the first attempt
    (n,) = await finished(stack, await send(stack, serial))
    assert n.state == Notification.STATE_SENT and outcomes(n) == ["RETRY", "SENT"]
    assert n.attempts[0].error == "SMTP 451"
    assert len(stack.mail.messages) == 1 and stack.mail.messages[0].subject.startswith("Nous avons reçu")


async def test_the_same_event_raised_twice_sends_one_message(stack: Stack) -> None:
    serial, _ = await owner(stack)
    request_id = new_id()
    key = await send(stack, serial, request_id=request_id)
    assert await send(stack, serial, request_id=request_id) == key  # a retried request
    await finished(stack, key)
    # Two workflows raising the same event at once (as two replicas or a re-run would).
    same = NotificationRequest(
        key="claim-RMA-TEST-0002/3/device_received",
        template="device_received",
        recipient=f"warranty:{serial}",
        variables={"rma": "RMA-TEST-0002"},
    )
    await asyncio.gather(
        *(
            stack.temporal.execute_workflow(
                NotifyWorkflow.run, same, id=f"twice-{i}-{new_id()}", task_queue=WORKFLOWS_QUEUE
            )
            for i in range(2)
        )
    )
    subjects = [m.subject for m in stack.mail.messages]
    assert len(subjects) == 2 and "RMA-TEST-0001" in subjects[0] and "RMA-TEST-0002" in subjects[1]
    (n,) = await deliveries(stack, same.key)
    assert outcomes(n) == ["SENT"]


async def test_a_mail_server_down_for_a_while_gets_one_delivery_after_it_recovers(stack: Stack) -> None:
    serial, _ = await owner(stack)
    await stack.mail_down()
    key = await send(stack, serial)

    async def tried_twice() -> bool:
        found = await deliveries(stack, key)
        return bool(found) and len(found[0].attempts) >= 2

    await until(tried_twice)
    assert stack.mail.messages == []
    await stack.mail_up()
    (n,) = await finished(stack, key)
    assert n.state == Notification.STATE_SENT and outcomes(n)[-1] == "SENT" and len(outcomes(n)) >= 3
    assert all(a.error.startswith("SMTP unreachable") for a in n.attempts[:-1])
    assert len(stack.mail.messages) == 1


async def test_an_sms_provider_down_for_a_while_gets_one_message(stack: Stack) -> None:
    serial, _ = await owner(stack)
    moved = await stack.warranty.TransferOwnership(
        wpb.TransferOwnershipRequest(
            request_id=new_id(),
            serial=serial,
            new_owner_contact=wpb.Contact(email="sam@example.com", phone="+447400765432", locale="ko"),
        ),
        metadata=stack.as_("ops"),
    )
    await stack.notifications.UpdatePreferences(
        npb.UpdatePreferencesRequest(
            request_id=new_id(),
            preferences=npb.Preferences(customer_id=moved.warranty.customer_id, channels=[npb.CHANNEL_SMS]),
            update_mask=field_mask_pb2.FieldMask(paths=["channels"]),
        ),
        metadata=stack.as_("ops"),
    )
    stack.http.busy_for = 2
    (n,) = await finished(stack, await send(stack, serial))
    assert n.channel == npb.CHANNEL_SMS and n.destination == "+44********32" and n.locale == "ko"
    assert outcomes(n) == ["RETRY", "RETRY", "SENT"] and n.attempts[0].error == "SMS provider answered HTTP 503"
    assert len(stack.http.sms) == 1 and "RMA-TEST-0001" in stack.http.sms[0].body and stack.mail.messages == []


async def test_an_opted_out_customer_gets_transactional_messages_and_no_marketing(stack: Stack) -> None:
    serial, customer = await owner(stack)
    await stack.notifications.UpdatePreferences(
        npb.UpdatePreferencesRequest(
            request_id=new_id(),
            preferences=npb.Preferences(customer_id=customer, marketing_opt_out=True),
            update_mask=field_mask_pb2.FieldMask(paths=["marketing_opt_out"]),
        ),
        metadata=stack.as_("retailer:demo-retailer"),  # the customer's retailer may record it
    )
    (offer,) = await finished(stack, await send(stack, serial, template="extended_plan_offer"))
    assert offer.state == Notification.STATE_SUPPRESSED and offer.reason == "OPTED_OUT" and not offer.attempts
    (claim,) = await finished(stack, await send(stack, serial))
    assert claim.state == Notification.STATE_SENT
    assert [m.subject for m in stack.mail.messages] == ["Nous avons reçu votre appareil (demande RMA-TEST-0001)"]


async def test_a_refused_address_is_recorded_as_failed_and_not_retried(stack: Stack) -> None:
    serial, _ = await owner(stack)
    stack.mail.refuse.add("jo@example.com")
    (n,) = await finished(stack, await send(stack, serial))
    assert n.state == Notification.STATE_FAILED and outcomes(n) == ["FAILED"]
    assert n.reason == "SMTP refused the recipient (550)" and stack.mail.messages == []


def worker(stack: Stack, log: BinaryIO) -> subprocess.Popen[bytes]:
    s = stack.notifications_settings
    env = {
        **os.environ,
        "AFTERCARE_VAR_DIR": str(s.var_dir),
        "AFTERCARE_DATABASE_URL": s.database_url,
        "AFTERCARE_GRPC_PORT": "0",
        "AFTERCARE_TEMPORAL_ADDRESS": s.temporal_address,
        "AFTERCARE_REPAIRS_TARGET": s.repairs_target,
        "AFTERCARE_WARRANTY_TARGET": s.warranty_target,
        "AFTERCARE_PORTAL_TARGET": s.portal_target,  # every claim message's link
        "AFTERCARE_SMTP_PORT": str(s.smtp_port),
        "AFTERCARE_SMS_URL": s.sms_url,
        "AFTERCARE_PROVIDER_TIMEOUT_SECONDS": "5",
    }
    argv = [sys.executable, "-m", "cli.main", "serve", "notifications"]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.notifications_worker_elsewhere
async def test_a_worker_killed_mid_send_and_restarted_sends_the_message_once(stack: Stack, tmp_path: Path) -> None:
    serial, _ = await owner(stack)
    stack.mail.hold = asyncio.Event()  # the SMTP server keeps the first session waiting at RCPT
    log = (tmp_path / "worker.log").open("ab")
    first = worker(stack, log)
    try:
        key = await send(stack, serial)
        async with asyncio.timeout(30):
            await stack.mail.held.wait()
        first.send_signal(signal.SIGKILL)  # dies mid-activity, inside the SMTP session
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    stack.mail.hold.set()
    second = worker(stack, log)
    try:
        (n,) = await finished(stack, key)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
        log.close()
    assert n.state == Notification.STATE_SENT
    assert outcomes(n) == ["RETRY", "SENT"] and n.attempts[0].error == "the attempt stopped unfinished"
    assert len(stack.mail.messages) == 1

"""Between the notifications database's rows and the protobuf messages."""

from __future__ import annotations

from aftercare.notifications.v1 import notifications_pb2 as pb

from services.kit.timestamps import ts, ts_or_none
from services.notifications.domain.messages import Channel
from services.notifications.persistence.tables import AttemptRow, DeliveryRow, EndpointRow, PreferenceRow

CHANNELS = {Channel.EMAIL: pb.CHANNEL_EMAIL, Channel.SMS: pb.CHANNEL_SMS, Channel.WEBHOOK: pb.CHANNEL_WEBHOOK}
CHANNEL_NAMES = {v: k for k, v in CHANNELS.items()}


def notification(row: DeliveryRow, attempts: list[AttemptRow]) -> pb.Notification:
    return pb.Notification(
        id=row.id,
        idempotency_key=row.key,
        channel=CHANNELS[Channel(row.channel)],
        template=row.template,
        locale=row.locale,
        state=pb.Notification.State.Value(f"STATE_{row.state}"),
        category=pb.Category.Value(f"CATEGORY_{row.category}"),
        recipient=row.recipient,
        destination=row.destination,
        rma=row.rma,
        serial=row.serial,
        retailer_id=row.retailer_id,
        centre_id=row.centre_id,
        subject=row.subject,
        reason=row.reason,
        attempts=[
            pb.DeliveryAttempt(
                number=a.number,
                outcome=pb.DeliveryAttempt.Outcome.Value(f"OUTCOME_{a.outcome}"),
                error=a.error,
                start_time=ts(a.started_at),
                end_time=ts_or_none(a.ended_at),
            )
            for a in attempts
            if a.delivery_pk == row.pk
        ],
        create_time=ts(row.created_at),
        send_time=ts_or_none(row.sent_at),
        provider_message_id=row.provider_message_id,
    )


def preferences(customer_id: str, row: PreferenceRow | None) -> pb.Preferences:
    if row is None:
        return pb.Preferences(customer_id=customer_id)
    return pb.Preferences(
        customer_id=row.customer_id,
        channels=[CHANNELS[Channel(c)] for c in row.channels.split(",") if c],
        locale=row.locale,
        marketing_opt_out=row.marketing_opt_out,
        update_time=ts(row.updated_at),
    )


def endpoint(row: EndpointRow) -> pb.WebhookEndpoint:
    return pb.WebhookEndpoint(
        id=row.id,
        retailer_id=row.retailer_id,
        url=row.url,
        event_types=[e for e in row.event_types.split(",") if e],
        create_time=ts(row.created_at),
        rotate_time=ts_or_none(row.rotated_at),
        previous_secret_expire_time=ts_or_none(row.previous_expires_at),
    )

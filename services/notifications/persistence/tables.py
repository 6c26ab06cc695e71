"""The notifications service's tables. Only this service reads or writes them.

The delivery log keeps one row per delivery key and every attempt. It holds no address: a delivery shows
the destination masked, and the address is resolved from its owner each time a message is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from services.kit.db import UtcDateTime
from services.kit.idempotency import RequestLog  # noqa: F401 - part of this service's schema


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_rma", "rma", "pk"),
        Index("ix_deliveries_serial", "serial", "pk"),
        Index("ix_deliveries_recipient", "recipient", "pk"),
        Index("ix_deliveries_event_key", "event_key"),
    )

    pk: int | None = Field(default=None, primary_key=True)  # creation order; pagination key
    id: str = Field(unique=True, max_length=40)  # the message id, derived from `key`
    key: str = Field(unique=True, max_length=300)  # the delivery key: one row per key
    event_key: str = Field(max_length=240)  # the business key the request carried
    channel: str = Field(max_length=8)
    template: str = Field(max_length=40)
    category: str = Field(max_length=16)
    locale: str = Field(max_length=8)
    recipient: str = Field(max_length=80)
    destination: str = Field(default="", max_length=120)  # masked address, or the webhook endpoint id
    endpoint_id: str = Field(default="", max_length=40)
    rma: str = Field(default="", max_length=16)
    serial: str = Field(default="", max_length=64)
    retailer_id: str = Field(default="", max_length=63)
    centre_id: str = Field(default="", max_length=63)
    subject: str = Field(default="", max_length=300)
    state: str = Field(max_length=12)
    reason: str = Field(default="", max_length=200)
    provider_message_id: str = Field(default="", max_length=200)
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AttemptRow(SQLModel, table=True):
    __tablename__ = "delivery_attempts"

    delivery_pk: int = Field(primary_key=True, foreign_key="deliveries.pk")
    number: int = Field(primary_key=True)
    outcome: str = Field(max_length=12)  # PENDING | SENT | RETRY | FAILED
    error: str = Field(default="", max_length=300)
    started_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PreferenceRow(SQLModel, table=True):
    __tablename__ = "preferences"

    customer_id: str = Field(primary_key=True, max_length=40)
    channels: str = Field(default="", max_length=40)  # comma-separated, in order
    locale: str = Field(default="", max_length=35)
    marketing_opt_out: bool = False
    updated_at: datetime = Field(sa_type=UtcDateTime)


class EndpointRow(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_retailer", "retailer_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    retailer_id: str = Field(max_length=63)
    url: str = Field(sa_type=Text)
    event_types: str = Field(default="", max_length=500)  # comma-separated; empty: all
    secret: str = Field(max_length=80)
    previous_secret: str = Field(default="", max_length=80)
    previous_expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    rotated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)

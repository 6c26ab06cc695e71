"""The repairs service's tables. Only this service reads or writes them.

A claim row is the projection of its workflow: `status` holds the workflow's ClaimStatus as JSON, and the
columns ListClaims filters on are copied out of it. The contact, return address, description and feedback
comment are personal data: they never leave this service except to the `service` principal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kit.db import UtcDateTime
from services.kit.idempotency import RequestLog  # noqa: F401 - part of this service's schema


class CentreRow(SQLModel, table=True):
    __tablename__ = "service_centres"

    id: str = Field(primary_key=True, max_length=63)
    display_name: str = Field(max_length=200)
    region: str = Field(max_length=2, index=True)
    categories: str = Field(max_length=1000)  # comma-separated product categories
    daily_capacity: int
    created_at: datetime = Field(sa_type=UtcDateTime)


class ClaimRow(SQLModel, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("filed_by", "request_id", name="uq_claims_filed_by_request"),
        Index("ix_claims_centre", "centre_id", "id"),
        Index("ix_claims_retailer", "retailer_id", "id"),
        Index("ix_claims_state", "state", "id"),
        Index("ix_claims_serial", "serial", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)  # filing order; pagination key
    rma: str = Field(unique=True, max_length=16)
    serial: str = Field(max_length=64)
    open_serial: str | None = Field(default=None, unique=True, max_length=64)  # NULL once terminal
    sku: str = Field(default="", max_length=48)
    state: str = Field(max_length=32)
    centre_id: str = Field(default="", max_length=63)
    retailer_id: str = Field(default="", max_length=63)
    sla_breached: bool = False
    filed_by: str = Field(max_length=80)
    request_id: str = Field(max_length=128)
    request_hash: str = Field(max_length=64)
    fault_category: str = Field(max_length=32)
    region: str = Field(max_length=2)
    incident_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(sa_type=Text)  # ClaimStatus JSON, as of `seq`
    seq: int = 0
    # personal data
    description: str = Field(default="", max_length=2000)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=16)
    locale: str = Field(default="", max_length=35)
    return_address: str = Field(default="{}", sa_type=Text)  # PostalAddress as JSON
    feedback_comment: str = Field(default="", max_length=2000)
    risk_codes: str = Field(default="", max_length=400)  # the risk rules that fired, ","-joined: the rules report
    receipt: str = Field(default="", sa_type=Text)  # an unregistered serial's ProofOfPurchase as JSON; "" if none
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ClaimEventRow(SQLModel, table=True):
    """The append-only timeline. The key (rma, seq) makes a retried write a no-op."""

    __tablename__ = "claim_events"

    rma: str = Field(primary_key=True, max_length=16)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=32)
    state: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    actor: str = Field(default="", max_length=80)  # "ops:alice", "customer:cus_…", "system"; "" before actors


class InfoAnswerRow(SQLModel, table=True):
    """The customer's answers to information requests (personal data: the text stays in this service)."""

    __tablename__ = "info_answers"

    id: int | None = Field(default=None, primary_key=True)
    rma: str = Field(max_length=16, index=True)
    request_key: str = Field(max_length=220, unique=True)  # the principal and its request_id: kept once
    text: str = Field(default="", max_length=2000)
    actor: str = Field(max_length=80)
    created_at: datetime = Field(sa_type=UtcDateTime)


class LabelRow(SQLModel, table=True):
    """One label per claim and direction; a retried create_label returns the one already made."""

    __tablename__ = "shipping_labels"

    rma: str = Field(primary_key=True, max_length=16)
    direction: str = Field(primary_key=True, max_length=16)
    carrier: str = Field(max_length=32)
    tracking_number: str = Field(unique=True, max_length=64)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class EscalationRow(SQLModel, table=True):
    """A breached repair SLA, for ops. One per claim."""

    __tablename__ = "sla_escalations"

    rma: str = Field(primary_key=True, max_length=16)
    centre_id: str = Field(max_length=63)
    state: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UtcDateTime)
    escalated_at: datetime = Field(sa_type=UtcDateTime)


class AttachmentRow(SQLModel, table=True):
    """A photo of a claim's fault; its bytes are in the attachment store under `storage_key`. One row per
    (added_by, request_id): a retried upload finds the first."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("added_by_principal", "request_id", name="uq_attachments_request"),
        Index("ix_attachments_rma", "rma", "pk"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=40)
    rma: str = Field(max_length=16)
    content_type: str = Field(max_length=16)
    size_bytes: int
    width: int
    height: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=128)
    added_by: str = Field(max_length=16)  # customer | retailer | centre | ops
    added_by_principal: str = Field(max_length=80)
    request_id: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=UtcDateTime)

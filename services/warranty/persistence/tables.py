"""The warranty service's tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kit.db import UtcDateTime
from services.kit.idempotency import RequestLog  # noqa: F401 - part of this service's schema


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=48)
    display_name: str = Field(max_length=200)
    category: str = Field(max_length=48)
    launch_at: datetime = Field(sa_type=UtcDateTime)
    policy_version: int
    created_at: datetime = Field(sa_type=UtcDateTime)


class PolicyRow(SQLModel, table=True):
    """Policy versions are immutable: a warranty keeps the version it was sold under."""

    __tablename__ = "product_policies"

    sku: str = Field(primary_key=True, foreign_key="products.sku", max_length=48)
    version: int = Field(primary_key=True)
    coverage_months: int
    return_window_days: int
    repair_sla_days: int
    covered_categories: str = Field(max_length=400)  # comma-separated FAULT_CATEGORIES
    claim_timers: str = Field(default="{}", max_length=1000)  # JSON {timer name: seconds}; "{}" = defaults
    paid_repair_currency: str = Field(default="", max_length=3)
    paid_repair_minor: int = Field(default=0, sa_type=BigInteger)
    plan_months: int = 0
    plan_currency: str = Field(default="", max_length=3)
    plan_minor: int = Field(default=0, sa_type=BigInteger)
    approval: str = Field(default="{}", sa_type=Text)  # JSON of domain.products.Approval; "{}" = AUTO
    created_at: datetime = Field(sa_type=UtcDateTime)


class WarrantyRow(SQLModel, table=True):
    __tablename__ = "warranties"
    __table_args__ = (
        UniqueConstraint("retailer_id", "request_id", name="uq_warranties_retailer_request"),
        Index("ix_warranties_retailer_id", "retailer_id", "id"),
        Index("ix_warranties_customer_id", "customer_id", "id"),
        Index("ix_warranties_coverage_end", "coverage_end", "id"),  # the expiry reminder reads only what is due
    )

    id: int | None = Field(default=None, primary_key=True)  # registration order; pagination key
    serial: str = Field(unique=True, max_length=64)
    sku: str = Field(max_length=48)
    policy_version: int
    retailer_id: str = Field(max_length=63)
    sale_reference: str = Field(max_length=128)
    purchased_at: datetime = Field(sa_type=UtcDateTime)
    purchase_time_zone: str = Field(max_length=64)
    customer_id: str = Field(max_length=40)
    # The owner's contact: personal data, returned only to the `service` principal.
    email: str = Field(max_length=254)
    phone: str = Field(max_length=16)
    locale: str = Field(max_length=35)
    state: str = Field(max_length=16)  # ACTIVE | VOIDED
    void_reason: str = Field(default="", max_length=500)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    transfer_count: int = 0
    extended_months: int = 0
    # When the cover ends (standard and extended): derived from the policy and the plans, and kept with them
    # (registration, plans; a replacement unit copies it), so the expiry reminder finds the due by index.
    coverage_end: datetime = Field(sa_type=UtcDateTime)
    request_id: str = Field(max_length=128)  # the RegisterSale request that created it (AIP-155)
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ExtendedPlanRow(SQLModel, table=True):
    __tablename__ = "extended_plans"

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(foreign_key="warranties.serial", index=True, max_length=64)
    plan_reference: str = Field(max_length=128)
    months: int
    price_minor: int = Field(sa_type=BigInteger)
    currency_code: str = Field(max_length=3)
    purchased_at: datetime = Field(sa_type=UtcDateTime)


class TransferRow(SQLModel, table=True):
    __tablename__ = "ownership_transfers"

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(foreign_key="warranties.serial", index=True, max_length=64)
    from_customer_id: str = Field(max_length=40)
    to_customer_id: str = Field(max_length=40)
    transferred_at: datetime = Field(sa_type=UtcDateTime)

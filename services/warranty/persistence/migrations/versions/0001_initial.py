"""Products, policies, warranties, plans, transfers and the request log.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("scope", sa.String(80), primary_key=True),
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(48), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("launch_at", UtcDateTime, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "product_policies",
        sa.Column("sku", sa.String(48), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("coverage_months", sa.Integer, nullable=False),
        sa.Column("return_window_days", sa.Integer, nullable=False),
        sa.Column("repair_sla_days", sa.Integer, nullable=False),
        sa.Column("covered_categories", sa.String(400), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "warranties",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("serial", sa.String(64), nullable=False, unique=True),
        sa.Column("sku", sa.String(48), nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("retailer_id", sa.String(63), nullable=False),
        sa.Column("sale_reference", sa.String(128), nullable=False),
        sa.Column("purchased_at", UtcDateTime, nullable=False),
        sa.Column("purchase_time_zone", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("void_reason", sa.String(500), nullable=False),
        sa.Column("voided_at", UtcDateTime, nullable=True),
        sa.Column("transfer_count", sa.Integer, nullable=False),
        sa.Column("extended_months", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("retailer_id", "request_id", name="uq_warranties_retailer_request"),
    )
    op.create_index("ix_warranties_retailer_id", "warranties", ["retailer_id", "id"])
    op.create_index("ix_warranties_customer_id", "warranties", ["customer_id", "id"])
    op.create_table(
        "extended_plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("serial", sa.String(64), sa.ForeignKey("warranties.serial"), nullable=False, index=True),
        sa.Column("plan_reference", sa.String(128), nullable=False),
        sa.Column("months", sa.Integer, nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("purchased_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "ownership_transfers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("serial", sa.String(64), sa.ForeignKey("warranties.serial"), nullable=False, index=True),
        sa.Column("from_customer_id", sa.String(40), nullable=False),
        sa.Column("to_customer_id", sa.String(40), nullable=False),
        sa.Column("transferred_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("ownership_transfers", "extended_plans", "warranties", "product_policies", "products", "request_log"):
        op.drop_table(table)

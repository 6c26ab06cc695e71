"""Service centres, claims, their timeline, shipping labels, SLA escalations and the request log.

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
        "service_centres",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(2), nullable=False, index=True),
        sa.Column("categories", sa.String(1000), nullable=False),
        sa.Column("daily_capacity", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rma", sa.String(16), nullable=False, unique=True),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("open_serial", sa.String(64), nullable=True, unique=True),
        sa.Column("sku", sa.String(48), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("centre_id", sa.String(63), nullable=False),
        sa.Column("retailer_id", sa.String(63), nullable=False),
        sa.Column("sla_breached", sa.Boolean, nullable=False),
        sa.Column("filed_by", sa.String(80), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("fault_category", sa.String(32), nullable=False),
        sa.Column("region", sa.String(2), nullable=False),
        sa.Column("incident_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("return_address", sa.Text, nullable=False),
        sa.Column("feedback_comment", sa.String(2000), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("filed_by", "request_id", name="uq_claims_filed_by_request"),
    )
    op.create_index("ix_claims_centre", "claims", ["centre_id", "id"])
    op.create_index("ix_claims_retailer", "claims", ["retailer_id", "id"])
    op.create_index("ix_claims_state", "claims", ["state", "id"])
    op.create_table(
        "claim_events",
        sa.Column("rma", sa.String(16), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "shipping_labels",
        sa.Column("rma", sa.String(16), primary_key=True),
        sa.Column("direction", sa.String(16), primary_key=True),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("tracking_number", sa.String(64), nullable=False, unique=True),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "sla_escalations",
        sa.Column("rma", sa.String(16), primary_key=True),
        sa.Column("centre_id", sa.String(63), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("escalated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("sla_escalations", "shipping_labels", "claim_events", "claims", "service_centres", "request_log"):
        op.drop_table(table)

"""The delivery log and its attempts, customer preferences, retailer webhook endpoints and the request log.

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
        "deliveries",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("event_key", sa.String(240), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("destination", sa.String(120), nullable=False),
        sa.Column("endpoint_id", sa.String(40), nullable=False),
        sa.Column("rma", sa.String(16), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("retailer_id", sa.String(63), nullable=False),
        sa.Column("centre_id", sa.String(63), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("provider_message_id", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_deliveries_rma", "deliveries", ["rma", "pk"])
    op.create_index("ix_deliveries_serial", "deliveries", ["serial", "pk"])
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient", "pk"])
    op.create_index("ix_deliveries_event_key", "deliveries", ["event_key"])
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_pk", sa.Integer, sa.ForeignKey("deliveries.pk"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("error", sa.String(300), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("ended_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "preferences",
        sa.Column("customer_id", sa.String(40), primary_key=True),
        sa.Column("channels", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("marketing_opt_out", sa.Boolean, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("retailer_id", sa.String(63), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(80), nullable=False),
        sa.Column("previous_secret", sa.String(80), nullable=False),
        sa.Column("previous_expires_at", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("rotated_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_webhook_endpoints_retailer", "webhook_endpoints", ["retailer_id", "id"])


def downgrade() -> None:
    for table in ("webhook_endpoints", "preferences", "delivery_attempts", "deliveries", "request_log"):
        op.drop_table(table)

"""Claim review: who made each change (the timeline's actor), the risk rules that fired on a claim (for the
rules report), an unregistered serial's receipt, and the customer's answers to information requests.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("claim_events") as batch:
        batch.add_column(sa.Column("actor", sa.String(80), nullable=False, server_default=""))
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("risk_codes", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("receipt", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "info_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rma", sa.String(16), nullable=False, index=True),
        sa.Column("request_key", sa.String(220), nullable=False, unique=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("info_answers")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("receipt")
        batch.drop_column("risk_codes")
    with op.batch_alter_table("claim_events") as batch:
        batch.drop_column("actor")

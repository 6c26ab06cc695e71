"""Policies carry claim timers and an optional paid-repair price.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.add_column(sa.Column("claim_timers", sa.String(1000), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("paid_repair_currency", sa.String(3), nullable=False, server_default=""))
        batch.add_column(sa.Column("paid_repair_minor", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.drop_column("paid_repair_minor")
        batch.drop_column("paid_repair_currency")
        batch.drop_column("claim_timers")

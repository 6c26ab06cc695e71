"""Policies may offer an extended plan: months and a price.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.add_column(sa.Column("plan_months", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("plan_currency", sa.String(3), nullable=False, server_default=""))
        batch.add_column(sa.Column("plan_minor", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.drop_column("plan_minor")
        batch.drop_column("plan_currency")
        batch.drop_column("plan_months")

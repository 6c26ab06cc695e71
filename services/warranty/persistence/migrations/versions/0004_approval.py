"""Policies say who approves a claim: the approval mode, per-retailer modes, a review limit, a unit's value and
the repeat-repair cover (JSON; "{}" is AUTO with the defaults).

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.add_column(sa.Column("approval", sa.Text, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("product_policies") as batch:
        batch.drop_column("approval")

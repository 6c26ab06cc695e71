"""Claims by serial (the claims on one unit: the portal's warranty page, ListClaims' serial filter).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_index("ix_claims_serial", "claims", ["serial", "id"])


def downgrade() -> None:
    op.drop_index("ix_claims_serial", "claims")

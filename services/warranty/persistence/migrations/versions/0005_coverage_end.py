"""Each warranty keeps when its cover ends (standard plus extended months, in the sale's zone), indexed: the
daily expiry reminder reads the warranties that are due instead of every active one.

Existing rows are filled from their policy version and plans with the domain's own arithmetic, a thousand
rows a statement, then the column becomes NOT NULL.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from services.kit.db import UtcDateTime
from services.warranty.domain.timezones import add_months, parse_zone

revision = "0005"
down_revision = "0004"

CHUNK = 1000


def upgrade() -> None:
    with op.batch_alter_table("warranties") as batch:
        batch.add_column(sa.Column("coverage_end", UtcDateTime, nullable=True))
    conn = op.get_bind()
    policies = sa.text("SELECT sku, version, coverage_months FROM product_policies")
    months = {(sku, version): coverage for sku, version, coverage in conn.execute(policies)}
    page = sa.text(
        "SELECT id, sku, policy_version, purchased_at, purchase_time_zone, extended_months FROM warranties"
        " WHERE id > :last ORDER BY id LIMIT :n"
    ).columns(
        sa.column("id", sa.Integer),
        sa.column("sku", sa.String),
        sa.column("policy_version", sa.Integer),
        sa.column("purchased_at", UtcDateTime),
        sa.column("purchase_time_zone", sa.String),
        sa.column("extended_months", sa.Integer),
    )
    update = sa.text("UPDATE warranties SET coverage_end = :end WHERE id = :id").bindparams(
        sa.bindparam("end", type_=UtcDateTime)
    )
    last = 0
    while rows := conn.execute(page, {"last": last, "n": CHUNK}).all():
        ends = [
            {"id": id_, "end": add_months(purchased, months[(sku, version)] + extended, parse_zone(zone))}
            for id_, sku, version, purchased, zone, extended in rows
        ]
        conn.execute(update, ends)
        last = rows[-1][0]
    with op.batch_alter_table("warranties") as batch:
        batch.alter_column("coverage_end", existing_type=UtcDateTime, nullable=False)
        batch.create_index("ix_warranties_coverage_end", ["coverage_end", "id"])


def downgrade() -> None:
    with op.batch_alter_table("warranties") as batch:
        batch.drop_index("ix_warranties_coverage_end")
        batch.drop_column("coverage_end")

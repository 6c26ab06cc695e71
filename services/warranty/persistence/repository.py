"""Reads and writes of the warranty service's tables."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, func, tuple_
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from services.kit.db import Database, KeyedRead, is_unique_violation
from services.kit.errors import AlreadyExists, FailedPrecondition, NotFound
from services.kit.validation import Contact
from services.warranty.domain.entitlement import Terms, coverage_end
from services.warranty.domain.products import Approval, ClaimTimers, Policy, Product
from services.warranty.persistence.sales import ACTIVE, NewSale, SaleOutcome, SaleWriter
from services.warranty.persistence.tables import ExtendedPlanRow, PolicyRow, ProductRow, TransferRow, WarrantyRow

VOIDED = "VOIDED"
PRODUCT_CACHE_SECONDS = 5.0  # a product's *current* policy; policy versions themselves never change

_W = WarrantyRow.__table__  # type: ignore[attr-defined]


@dataclass
class WarrantyView:
    """A warranty with what it takes to show it: its policy and its plans."""

    row: WarrantyRow
    policy: Policy
    plans: list[ExtendedPlanRow] = field(default_factory=list)

    def terms(self) -> Terms:
        return terms_of(self.row, self.policy)


def terms_of(row: WarrantyRow, policy: Policy) -> Terms:
    return Terms(
        purchased_at=row.purchased_at,
        time_zone=row.purchase_time_zone,
        coverage_months=policy.coverage_months,
        return_window_days=policy.return_window_days,
        extended_months=row.extended_months,
        covered_categories=policy.covered_categories,
        transferred=row.transfer_count > 0,
        voided=row.state == VOIDED,
    )


def _approval(stored: str) -> Approval:
    given = json.loads(stored or "{}")
    for pair in ("retailer_modes", "review_above", "unit_value"):
        if pair in given:
            given[pair] = tuple(tuple(x) if isinstance(x, list) else x for x in given[pair])
    return Approval(**given)


def _policy(row: PolicyRow) -> Policy:
    timers = ClaimTimers(**json.loads(row.claim_timers))
    categories = frozenset(filter(None, row.covered_categories.split(",")))
    return Policy(
        row.version,
        row.coverage_months,
        row.return_window_days,
        row.repair_sla_days,
        categories,
        timers,
        row.paid_repair_currency,
        row.paid_repair_minor,
        row.plan_months,
        row.plan_currency,
        row.plan_minor,
        _approval(row.approval),
    )


_current_policy = and_(
    col(PolicyRow.sku) == col(ProductRow.sku), col(PolicyRow.version) == col(ProductRow.policy_version)
)


def _product(row: ProductRow, policy: PolicyRow) -> Product:
    return Product(row.sku, row.display_name, row.category, row.launch_at, _policy(policy), row.created_at)


def ending_page(
    start: datetime, end: datetime, after: tuple[datetime, int] | None, limit: int
) -> SelectOfScalar[WarrantyRow]:
    """The expiry reminder's page (see WarrantyRepository.ending_page); its plan is held to the coverage-end
    index in tests/repairs/test_query_plans.py."""
    query = (
        select(WarrantyRow)
        .where(WarrantyRow.state == ACTIVE, col(WarrantyRow.coverage_end) >= start, col(WarrantyRow.coverage_end) < end)
        .order_by(col(WarrantyRow.coverage_end), col(WarrantyRow.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(col(WarrantyRow.coverage_end), col(WarrantyRow.id)) > tuple_(*after))
    return query


def warranties_page(
    retailer_id: str | None, customer_id: str | None, before_id: int | None, limit: int
) -> SelectOfScalar[WarrantyRow]:
    """ListWarranties' statement: newest first, after a cursor (its plan is held in test_query_plans.py)."""
    query = select(WarrantyRow).order_by(col(WarrantyRow.id).desc()).limit(limit)
    if retailer_id is not None:
        query = query.where(WarrantyRow.retailer_id == retailer_id)
    if customer_id is not None:
        query = query.where(WarrantyRow.customer_id == customer_id)
    if before_id is not None:
        query = query.where(col(WarrantyRow.id) < before_id)
    return query


class WarrantyRepository:
    def __init__(self, db: Database):
        self.db = db
        self._sales = SaleWriter(db)
        self._products: dict[str, tuple[float, Product]] = {}
        self._policies: dict[tuple[str, int], Policy] = {}
        self._by_serial = KeyedRead(db, _W, "serial")

    # -- products --------------------------------------------------------------------------------------

    async def product(self, sku: str) -> Product | None:
        cached = self._products.get(sku)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self.db.read() as session:
            found = (
                await session.exec(
                    select(ProductRow, PolicyRow).join(PolicyRow, _current_policy).where(ProductRow.sku == sku)
                )
            ).first()
        if found is None:
            return None
        product = _product(found[0], found[1])
        self._products[sku] = (time.monotonic() + PRODUCT_CACHE_SECONDS, product)
        return product

    async def policy(self, sku: str, version: int) -> Policy:
        key = (sku, version)
        if key not in self._policies:
            async with self.db.read() as session:
                row = await session.get(PolicyRow, key)
            if row is None:
                raise LookupError(f"no policy {sku} v{version}")
            self._policies[key] = _policy(row)
        return self._policies[key]

    async def create_product(self, session: AsyncSession, product: Product, now: datetime) -> Product:
        policy = product.policy
        session.add(
            ProductRow(
                sku=product.sku,
                display_name=product.display_name,
                category=product.category,
                launch_at=product.launch_at,
                policy_version=policy.version,
                created_at=now,
            )
        )
        try:
            await session.flush()
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(f"product {product.sku} already exists", reason="PRODUCT_EXISTS") from None
            raise
        session.add(
            PolicyRow(
                sku=product.sku,
                version=policy.version,
                coverage_months=policy.coverage_months,
                return_window_days=policy.return_window_days,
                repair_sla_days=policy.repair_sla_days,
                covered_categories=",".join(sorted(policy.covered_categories)),
                claim_timers=json.dumps(asdict(policy.claim_timers)),
                paid_repair_currency=policy.paid_repair_currency,
                paid_repair_minor=policy.paid_repair_minor,
                plan_months=policy.plan_months,
                plan_currency=policy.plan_currency,
                plan_minor=policy.plan_minor,
                approval=json.dumps(asdict(policy.approval)),
                created_at=now,
            )
        )
        await session.flush()
        return replace(product, created_at=now)

    async def list_products(self, after_sku: str | None, limit: int) -> list[Product]:
        query = (
            select(ProductRow, PolicyRow).join(PolicyRow, _current_policy).order_by(col(ProductRow.sku)).limit(limit)
        )
        if after_sku is not None:
            query = query.where(ProductRow.sku > after_sku)
        async with self.db.read() as session:
            rows = (await session.exec(query)).all()
        return [_product(p, pol) for p, pol in rows]

    # -- sales -----------------------------------------------------------------------------------------

    async def register_sales(self, sales: list[NewSale]) -> list[SaleOutcome]:
        """Insert many sales in one transaction (persistence/sales.py)."""
        return await self._sales.register(sales)

    # -- warranties ------------------------------------------------------------------------------------

    async def views(self, rows: list[WarrantyRow], session: AsyncSession | None = None) -> list[WarrantyView]:
        """The rows with their policies and plans (one query for all the plans, none if there are none)."""
        plans: dict[str, list[ExtendedPlanRow]] = defaultdict(list)
        extended = [row.serial for row in rows if row.extended_months]
        if extended:
            query = (
                select(ExtendedPlanRow)
                .where(col(ExtendedPlanRow.serial).in_(extended))
                .order_by(col(ExtendedPlanRow.id))
            )
            if session is not None:
                found = (await session.exec(query)).all()
            else:
                async with self.db.read() as own:
                    found = (await own.exec(query)).all()
            for plan in found:
                plans[plan.serial].append(plan)
        return [WarrantyView(row, await self.policy(row.sku, row.policy_version), plans[row.serial]) for row in rows]

    async def view(self, row: WarrantyRow, session: AsyncSession | None = None) -> WarrantyView:
        return (await self.views([row], session))[0]

    async def get(self, serial: str) -> WarrantyRow | None:
        """The warranty for a serial: the hot read behind CheckEntitlement and GetWarranty."""

        found = await self.db.lookup(self._by_serial, serial)
        return WarrantyRow.model_construct(**found) if found else None

    async def ending_page(
        self, start: datetime, end: datetime, after: tuple[datetime, int] | None, limit: int
    ) -> list[WarrantyRow]:
        """Active warranties whose cover ends in [start, end), in (coverage end, id) order after a cursor (the
        expiry reminder's scan): a range of the coverage-end index, so the work is the due warranties, not all."""
        async with self.db.read() as session:
            return list((await session.exec(ending_page(start, end, after, limit))).all())

    async def ending_page_by_id(self, start: datetime, end: datetime, after_id: int, limit: int) -> list[WarrantyRow]:
        """As ending_page, in id order after an id: the scans started before the coverage-end order."""
        query = (
            select(WarrantyRow)
            .where(
                WarrantyRow.state == ACTIVE,
                col(WarrantyRow.coverage_end) >= start,
                col(WarrantyRow.coverage_end) < end,
                col(WarrantyRow.id) > after_id,
            )
            .order_by(col(WarrantyRow.id))
            .limit(limit)
        )
        async with self.db.read() as session:
            return list((await session.exec(query)).all())

    async def list(
        self, *, retailer_id: str | None, customer_id: str | None, before_id: int | None, limit: int
    ) -> list[WarrantyRow]:
        query = warranties_page(retailer_id, customer_id, before_id, limit)
        async with self.db.read() as session:
            return list((await session.exec(query)).all())

    async def lock(self, session: AsyncSession, serial: str) -> WarrantyRow | None:
        """The warranty, locked for the rest of the transaction (SQLite's write transaction already is)."""
        query = select(WarrantyRow).where(WarrantyRow.serial == serial).with_for_update()
        return (await session.exec(query)).first()

    async def add_plan(self, session: AsyncSession, row: WarrantyRow, policy: Policy, plan: ExtendedPlanRow) -> None:
        row.extended_months += plan.months
        row.coverage_end = coverage_end(terms_of(row, policy))
        row.updated_at = plan.purchased_at
        session.add_all([row, plan])
        await session.flush()

    async def transfer(
        self, session: AsyncSession, row: WarrantyRow, contact: Contact, new_customer_id: str, now: datetime
    ) -> None:
        session.add(
            TransferRow(
                serial=row.serial, from_customer_id=row.customer_id, to_customer_id=new_customer_id, transferred_at=now
            )
        )
        row.customer_id, row.email, row.phone, row.locale = (
            new_customer_id,
            contact.email,
            contact.phone,
            contact.locale,
        )
        row.transfer_count += 1
        row.updated_at = now
        session.add(row)
        await session.flush()

    async def void(self, session: AsyncSession, row: WarrantyRow, reason: str, now: datetime) -> None:
        row.state, row.void_reason, row.voided_at, row.updated_at = VOIDED, reason, now, now
        session.add(row)
        await session.flush()

    async def move_to_replacement(
        self, serial: str, replacement_serial: str, reason: str, now: datetime
    ) -> WarrantyRow:
        """Give the replacement unit the old unit's warranty (same terms, owner and plans) and void the old
        one. Idempotent: the move is recorded as the new row's request id, `replacement:<old serial>`."""
        async with self.db.write() as session:
            old = await self.lock(session, serial)
            if old is None:
                raise NotFound(f"no warranty for serial {serial}", reason="WARRANTY_NOT_FOUND")
            request_id = f"replacement:{serial}"
            query = select(WarrantyRow).where(
                WarrantyRow.retailer_id == old.retailer_id, WarrantyRow.request_id == request_id
            )
            done = (await session.exec(query)).first()
            if done is not None:
                if done.serial != replacement_serial:
                    raise FailedPrecondition(
                        f"serial {serial} was already replaced by {done.serial}", reason="ALREADY_REPLACED"
                    )
                return done
            if old.state == VOIDED:
                raise FailedPrecondition("the warranty is voided", reason="WARRANTY_VOIDED")
            if (await session.exec(select(WarrantyRow).where(WarrantyRow.serial == replacement_serial))).first():
                raise AlreadyExists(
                    f"serial {replacement_serial} is already registered", reason="SERIAL_ALREADY_REGISTERED"
                )
            fields = old.model_dump(exclude={"id", "serial", "request_id", "request_hash", "created_at", "updated_at"})
            new = WarrantyRow(
                **fields,
                serial=replacement_serial,
                request_id=request_id,
                request_hash="",
                created_at=now,
                updated_at=now,
            )
            session.add(new)
            await session.flush()
            plans = (await session.exec(select(ExtendedPlanRow).where(ExtendedPlanRow.serial == serial))).all()
            for plan in plans:
                session.add(ExtendedPlanRow(**plan.model_dump(exclude={"id", "serial"}), serial=replacement_serial))
            await self.void(session, old, f"replaced by {replacement_serial}: {reason}"[:500], now)
            return new

    async def units_sold(self, skus: Sequence[str], start: datetime | None, end: datetime | None) -> dict[str, int]:
        """Sales registered per SKU with the purchase in [start, end) (either end open), voided ones included:
        a unit sold is sold. A scan grouped by SKU: a report's query, not a hot path."""
        query = core_select(_W.c.sku, func.count()).group_by(_W.c.sku)
        if skus:
            query = query.where(_W.c.sku.in_(skus))
        if start is not None:
            query = query.where(_W.c.purchased_at >= start)
        if end is not None:
            query = query.where(_W.c.purchased_at < end)

        def count(conn: Connection) -> dict[str, int]:
            return {str(sku): int(n) for sku, n in conn.execute(query)}

        return await self.db.query(count)

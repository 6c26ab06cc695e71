"""Bulk sales into the warranties table: one statement a batch, duplicates and replays settled in memory.

A sale's request id is kept on the row it creates, so the dedupe of a retried request is in the same single
statement as the insert (docs/warranty.md); a bulk stream of thousands stays one insert per chunk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kit.db import Database
from services.kit.validation import Contact
from services.warranty.persistence.tables import WarrantyRow

ACTIVE = "ACTIVE"  # a sale's warranty starts active (repository.VOIDED: voided by ops)
_W = WarrantyRow.__table__  # type: ignore[attr-defined]
_TAKEN = core_select(_W.c.serial).where(_W.c.serial.in_(bindparam("serials", expanding=True)))
_REQUESTED = core_select(_W.c.request_id).where(
    _W.c.retailer_id == bindparam("retailer"), _W.c.request_id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class NewSale:
    """A validated sale, ready to insert."""

    serial: str
    sku: str
    policy_version: int
    retailer_id: str
    sale_reference: str
    purchased_at: datetime
    purchase_time_zone: str
    customer_id: str
    contact: Contact
    request_id: str
    request_hash: str
    created_at: datetime
    coverage_end: datetime

    def row(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "sku": self.sku,
            "policy_version": self.policy_version,
            "retailer_id": self.retailer_id,
            "sale_reference": self.sale_reference,
            "purchased_at": self.purchased_at,
            "purchase_time_zone": self.purchase_time_zone,
            "customer_id": self.customer_id,
            "email": self.contact.email,
            "phone": self.contact.phone,
            "locale": self.contact.locale,
            "state": ACTIVE,
            "void_reason": "",
            "voided_at": None,
            "transfer_count": 0,
            "extended_months": 0,
            "coverage_end": self.coverage_end,
            "request_id": self.request_id,
            "request_hash": self.request_hash,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }


class SaleStatus(StrEnum):
    CREATED = "CREATED"
    REPLAYED = "REPLAYED"  # the same request again: its warranty is the answer
    ALREADY_EXISTS = "ALREADY_EXISTS"  # the serial was registered by another request
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"  # the request id was used for a different sale


@dataclass(frozen=True)
class SaleOutcome:
    status: SaleStatus
    prior: WarrantyRow | None = None  # REPLAYED: the row the first request made

    def warranty(self, sale: NewSale) -> WarrantyRow:
        """CREATED: the sale's own row, as inserted; REPLAYED: the row the first request made."""
        if self.prior is not None:
            return self.prior
        assert self.status is SaleStatus.CREATED, self.status
        return WarrantyRow.model_construct(id=None, **sale.row())


@dataclass
class _Batch:
    """How a batch of sales splits before the insert, and how each one ends after it. Pure."""

    sales: list[NewSale]
    outcomes: list[SaleOutcome | None]
    by_serial: dict[str, int] = field(default_factory=dict)  # serial -> index of its first sale
    followers: dict[int, int] = field(default_factory=dict)  # a repeat of a request in the batch -> its first
    fresh: list[int] = field(default_factory=list)  # sales to insert
    shadowed: list[int] = field(default_factory=list)  # a serial seen earlier in the batch: may be a replay

    @classmethod
    def sort(cls, sales: list[NewSale]) -> _Batch:
        batch = cls(sales, [None] * len(sales))
        leaders: dict[tuple[str, str], int] = {}  # (retailer, request id) -> index of its first sale
        for i, sale in enumerate(sales):
            key = (sale.retailer_id, sale.request_id)
            if key in leaders:
                if sales[leaders[key]].request_hash == sale.request_hash:
                    batch.followers[i] = leaders[key]
                else:
                    batch.outcomes[i] = SaleOutcome(SaleStatus.REQUEST_ID_REUSED)
            elif sale.serial in batch.by_serial:
                leaders[key] = i
                batch.shadowed.append(i)
            else:
                leaders[key] = batch.by_serial[sale.serial] = i
                batch.fresh.append(i)
        return batch

    def settle(self, inserted: set[str], prior: dict[tuple[str, str], WarrantyRow]) -> list[SaleOutcome]:
        """Each sale's outcome, given the serials inserted and what earlier requests made."""
        for i in self.fresh + self.shadowed:
            sale = self.sales[i]
            if sale.serial in inserted and self.by_serial[sale.serial] == i:
                self.outcomes[i] = SaleOutcome(SaleStatus.CREATED)
            else:
                self.outcomes[i] = _replay_of(sale, prior.get((sale.retailer_id, sale.request_id)))
        for i, leader in self.followers.items():
            first = self.outcomes[leader]
            assert first is not None
            created = first.status in (SaleStatus.CREATED, SaleStatus.REPLAYED)
            replay = SaleOutcome(SaleStatus.REPLAYED, prior=first.warranty(self.sales[leader]))
            self.outcomes[i] = replay if created else first
        return [o for o in self.outcomes if o is not None]


def _request_ids(sales: list[NewSale]) -> dict[str, list[str]]:
    """The sales' request ids by retailer (a request id is unique per retailer)."""
    requested: dict[str, list[str]] = defaultdict(list)
    for sale in sales:
        requested[sale.retailer_id].append(sale.request_id)
    return requested


def _replay_of(sale: NewSale, prior: WarrantyRow | None) -> SaleOutcome:
    """A sale that did not insert: its own earlier request replayed, or a serial taken by another."""
    if prior is None:
        return SaleOutcome(SaleStatus.ALREADY_EXISTS)
    if prior.request_hash == sale.request_hash:
        return SaleOutcome(SaleStatus.REPLAYED, prior=prior)
    return SaleOutcome(SaleStatus.REQUEST_ID_REUSED)


class SaleWriter:
    """Registers batches of sales on one database (SQLite: a read of what is taken, then a plain insert under
    the write lock; PostgreSQL: ON CONFLICT DO NOTHING RETURNING)."""

    def __init__(self, db: Database):
        self.db = db
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert

    async def register(self, sales: list[NewSale]) -> list[SaleOutcome]:
        """Insert many sales in one transaction: one statement for the batch, and only the sales that
        did not insert are looked at again. Duplicates inside the batch are settled here too."""
        batch = _Batch.sort(sales)
        async with self.db.connection() as conn:
            inserted = await self._insert_sales(conn, [sales[i] for i in batch.fresh])
            lost = [i for i in batch.fresh if sales[i].serial not in inserted] + batch.shadowed
            prior = await self._prior_requests(conn, [sales[i] for i in lost])
        return batch.settle(inserted, prior)

    async def _insert_sales(self, conn: AsyncConnection, fresh: list[NewSale]) -> set[str]:
        """Insert the sales whose serials are free; the serials inserted.

        On SQLite the transaction began IMMEDIATE and holds the database's one write lock, so what is found free
        stays free: a read of the serials and request ids already taken, then a plain batch insert of the rest
        (the driver's own executemany, as fast as a bare insert gets). On PostgreSQL others insert meanwhile:
        ON CONFLICT DO NOTHING RETURNING tells which rows went in.
        """
        if not fresh:
            return set()
        if self.db.is_sqlite:
            serials = set((await conn.execute(_TAKEN, {"serials": [sale.serial for sale in fresh]})).scalars())
            requests: set[tuple[str, str]] = set()  # request ids used before: a replay, or a reuse
            for retailer, ids in _request_ids(fresh).items():
                used = await conn.execute(_REQUESTED, {"retailer": retailer, "ids": ids})
                requests |= {(retailer, request_id) for request_id in used.scalars()}
            new = [s for s in fresh if s.serial not in serials and (s.retailer_id, s.request_id) not in requests]
            if new:
                await conn.execute(insert(_W), [sale.row() for sale in new])
            return {sale.serial for sale in new}
        statement = self._insert(_W).on_conflict_do_nothing().returning(_W.c.serial)
        return set((await conn.execute(statement, [sale.row() for sale in fresh])).scalars())

    async def _prior_requests(self, conn: AsyncConnection, lost: list[NewSale]) -> dict[tuple[str, str], WarrantyRow]:
        """The warranties earlier requests with these sales' (retailer, request id) made."""
        if not lost:
            return {}
        requested = _request_ids(lost)
        query = core_select(_W).where(
            or_(*(and_(_W.c.retailer_id == retailer, _W.c.request_id.in_(ids)) for retailer, ids in requested.items()))
        )
        return {
            (row["retailer_id"], row["request_id"]): WarrantyRow.model_construct(**row)
            for row in (await conn.execute(query)).mappings()
        }

"""Reads and writes of the notifications database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.db import Database, is_unique_violation
from services.notifications.domain.messages import DeliveryState
from services.notifications.persistence.tables import AttemptRow, DeliveryRow, EndpointRow, PreferenceRow


@dataclass(frozen=True)
class DeliveryFilters:
    rma: str | None = None
    serial: str | None = None
    recipient: str | None = None
    key_prefix: str | None = None
    retailer_id: str | None = None  # visibility: a retailer's own
    centre_id: str | None = None  # visibility: a centre's claims


class NotificationsRepository:
    def __init__(self, db: Database):
        self.db = db

    # -- the delivery log ----------------------------------------------------------------------------------

    async def deliveries_for(self, event_key: str) -> list[DeliveryRow]:
        async with self.db.read() as session:
            rows = await session.exec(select(DeliveryRow).where(DeliveryRow.event_key == event_key))
            return list(rows)

    async def ensure(self, row: DeliveryRow) -> tuple[DeliveryRow, bool]:
        """The row for `row.key` and whether this call inserted it (else it existed). Concurrent callers get
        one row."""
        for _ in range(2):
            async with self.db.read() as session:
                kept = (await session.exec(select(DeliveryRow).where(DeliveryRow.key == row.key))).first()
            if kept is not None:
                return kept, False
            try:
                async with self.db.write() as session:
                    fresh = DeliveryRow.model_validate(row.model_dump())
                    session.add(fresh)
                    await session.flush()
                    return fresh, True
            except IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise
        raise RuntimeError("delivery row kept conflicting")  # pragma: no cover

    async def begin(self, row: DeliveryRow, now: datetime, until: datetime) -> tuple[DeliveryRow, int | None]:
        """In one transaction: the row for `row.key` (inserted if new) and, if it is queued and no unexpired
        lease holds it, a lease until `until` with a new attempt opened. The row, and the attempt's number
        or None (final, or another attempt holds it)."""
        for _ in range(2):
            try:
                async with self.db.write() as session:
                    kept = (await session.exec(select(DeliveryRow).where(DeliveryRow.key == row.key))).first()
                    if kept is None:
                        kept = DeliveryRow.model_validate(row.model_dump() | {"attempts": 1, "lease_until": until})
                        session.add(kept)
                        await session.flush()
                        assert kept.pk is not None
                        session.add(AttemptRow(delivery_pk=kept.pk, number=1, outcome="PENDING", started_at=now))
                        return kept, 1
                    assert kept.pk is not None
                    return kept, await self._lease(session, kept.pk, now, until)
            except IntegrityError as exc:  # a concurrent first insert won: the next round leases its row
                if not is_unique_violation(exc):
                    raise
        raise RuntimeError("delivery row kept conflicting")  # pragma: no cover

    @staticmethod
    async def _lease(session: AsyncSession, pk: int, now: datetime, until: datetime) -> int | None:
        taken = await session.exec(
            update(DeliveryRow)
            .where(
                col(DeliveryRow.pk) == pk,
                col(DeliveryRow.state) == DeliveryState.QUEUED.value,
                or_(col(DeliveryRow.lease_until).is_(None), col(DeliveryRow.lease_until) < now),
            )
            .values(lease_until=until, attempts=DeliveryRow.attempts + 1)
        )
        if taken.rowcount != 1:
            return None
        number = (await session.exec(select(DeliveryRow.attempts).where(DeliveryRow.pk == pk))).one()
        # An attempt left PENDING by a process that stopped is closed as such.
        stale = await session.exec(
            select(AttemptRow).where(AttemptRow.delivery_pk == pk, AttemptRow.outcome == "PENDING")
        )
        for attempt in stale:
            attempt.outcome, attempt.error, attempt.ended_at = "RETRY", "the attempt stopped unfinished", now
            session.add(attempt)
        session.add(AttemptRow(delivery_pk=pk, number=number, outcome="PENDING", started_at=now))
        return number

    async def finish(
        self,
        pk: int,
        number: int,
        now: datetime,
        *,
        outcome: str,
        error: str = "",
        state: DeliveryState = DeliveryState.QUEUED,
        provider_message_id: str = "",
    ) -> None:
        """Close an attempt; `state` SENT or FAILED makes the delivery final."""
        async with self.db.write() as session:
            attempt = await session.get(AttemptRow, (pk, number))
            if attempt is not None:
                attempt.outcome, attempt.error, attempt.ended_at = outcome, error[:300], now
                session.add(attempt)
            row = await session.get(DeliveryRow, pk)
            assert row is not None
            row.lease_until = None
            if row.state == DeliveryState.QUEUED.value:
                row.state = state.value
                if state is DeliveryState.SENT:
                    row.sent_at, row.provider_message_id = now, provider_message_id[:200]
                elif state is DeliveryState.FAILED:
                    row.reason = error[:200]
            session.add(row)

    async def suppress(self, pk: int, reason: str) -> None:
        async with self.db.write() as session:
            row = await session.get(DeliveryRow, pk)
            if row is not None and row.state == DeliveryState.QUEUED.value:
                row.state, row.reason = DeliveryState.SUPPRESSED.value, reason
                session.add(row)

    async def delivery(self, message_id: str) -> tuple[DeliveryRow, list[AttemptRow]] | None:
        async with self.db.read() as session:
            row = (await session.exec(select(DeliveryRow).where(DeliveryRow.id == message_id))).first()
            if row is None:
                return None
            return row, await self._attempts(session, [row])

    async def deliveries(
        self, f: DeliveryFilters, before_pk: int | None, limit: int
    ) -> tuple[list[DeliveryRow], list[AttemptRow]]:
        query = select(DeliveryRow).order_by(col(DeliveryRow.pk).desc()).limit(limit)
        for column, value in (
            (DeliveryRow.rma, f.rma),
            (DeliveryRow.serial, f.serial),
            (DeliveryRow.recipient, f.recipient),
            (DeliveryRow.retailer_id, f.retailer_id),
            (DeliveryRow.centre_id, f.centre_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if f.key_prefix is not None:
            query = query.where(col(DeliveryRow.key).startswith(f.key_prefix, autoescape=True))
        if before_pk is not None:
            query = query.where(col(DeliveryRow.pk) < before_pk)
        async with self.db.read() as session:
            rows = list(await session.exec(query))
            return rows, await self._attempts(session, rows)

    @staticmethod
    async def _attempts(session: AsyncSession, rows: list[DeliveryRow]) -> list[AttemptRow]:
        if not rows:
            return []
        found = await session.exec(
            select(AttemptRow)
            .where(col(AttemptRow.delivery_pk).in_([r.pk for r in rows]))
            .order_by(col(AttemptRow.delivery_pk), col(AttemptRow.number))
        )
        return list(found)

    # -- preferences ----------------------------------------------------------------------------------------

    async def preferences(self, customer_id: str) -> PreferenceRow | None:
        async with self.db.read() as session:
            return await session.get(PreferenceRow, customer_id)

    # -- webhook endpoints ----------------------------------------------------------------------------------

    async def endpoint(self, endpoint_id: str, session: AsyncSession | None = None) -> EndpointRow | None:
        if session is not None:
            return await session.get(EndpointRow, endpoint_id)
        async with self.db.read() as fresh:
            return await fresh.get(EndpointRow, endpoint_id)

    async def endpoints(self, retailer_id: str, after_id: str | None = None, limit: int = 1000) -> list[EndpointRow]:
        query = select(EndpointRow).where(EndpointRow.retailer_id == retailer_id).order_by(col(EndpointRow.id))
        if after_id is not None:
            query = query.where(col(EndpointRow.id) > after_id)
        async with self.db.read() as session:
            return list(await session.exec(query.limit(limit)))

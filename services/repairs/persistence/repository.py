"""Reads and writes of the repairs service's tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.claims import ClaimStatus
from contracts.repairs import EventRecord, SlaEscalation
from lifecycle.transitions import TERMINAL
from services.kit.db import Database, KeyedRead, is_unique_violation
from services.kit.errors import AlreadyExists
from services.repairs.domain.centres import Centre, Load
from services.repairs.persistence.tables import (
    CentreRow,
    ClaimEventRow,
    ClaimRow,
    EscalationRow,
    InfoAnswerRow,
    LabelRow,
)

_C = ClaimRow.__table__  # type: ignore[attr-defined]
_E = ClaimEventRow.__table__  # type: ignore[attr-defined]
_TIMELINE = core_select(_E).where(_E.c.rma == bindparam("rma")).order_by(_E.c.seq)
_WRITTEN = core_select(_E.c.seq).where(_E.c.rma == bindparam("rma"), _E.c.seq == bindparam("seq"))


@dataclass(frozen=True)
class NewClaim:
    """A validated claim, ready to insert before its workflow starts."""

    rma: str
    serial: str
    fault_category: str
    region: str
    incident_at: datetime
    retailer_id: str  # the filing retailer ("" when ops filed it)
    filed_by: str
    request_id: str
    request_hash: str
    description: str
    email: str
    phone: str
    locale: str
    return_address: str  # JSON
    created_at: datetime
    receipt: str = ""  # an unregistered serial's ProofOfPurchase, as JSON


class Filed(StrEnum):
    CREATED = "CREATED"
    REPLAYED = "REPLAYED"  # the same request again: answer with its claim
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    OPEN_CLAIM = "OPEN_CLAIM"  # the serial already has an open claim: `rma` names it


@dataclass(frozen=True)
class FileOutcome:
    status: Filed
    rma: str = ""


@dataclass(frozen=True)
class ClaimFilters:
    state: str | None = None
    centre_id: str | None = None
    retailer_id: str | None = None
    sku: str | None = None
    sla_breached: bool | None = None
    serial: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def centre_of(row: CentreRow) -> Centre:
    return Centre(
        id=row.id,
        display_name=row.display_name,
        region=row.region,
        categories=tuple(filter(None, row.categories.split(","))),
        daily_capacity=row.daily_capacity,
    )


def claims_page(filters: ClaimFilters, before_id: int | None, limit: int) -> Select[Any]:
    """ListClaims' statement: newest first, after a cursor. tests/repairs/test_query_plans.py holds each filter
    to an index walk in this order (no sort, no scan): a list that stops using its index is caught there."""
    query = core_select(_C).order_by(_C.c.id.desc()).limit(limit)
    for name, value in filters.as_dict().items():
        query = query.where(_C.c[name] == value)
    if before_id is not None:
        query = query.where(_C.c.id < before_id)
    return query


class RepairsRepository:
    def __init__(self, db: Database):
        self.db = db
        self._by_rma = KeyedRead(db, _C, "rma")

    # -- centres -----------------------------------------------------------------------------------------

    async def create_centre(self, session: AsyncSession, centre: Centre, now: datetime) -> CentreRow:
        if await session.get(CentreRow, centre.id) is not None:
            raise AlreadyExists(f"service centre {centre.id} already exists", reason="CENTRE_ALREADY_EXISTS")
        row = CentreRow(
            id=centre.id,
            display_name=centre.display_name,
            region=centre.region,
            categories=",".join(centre.categories),
            daily_capacity=centre.daily_capacity,
            created_at=now,
        )
        session.add(row)
        return row

    async def centre(self, centre_id: str) -> CentreRow | None:
        async with self.db.read() as session:
            return await session.get(CentreRow, centre_id)

    async def centres(self, *, region: str | None, after_id: str | None, limit: int) -> list[CentreRow]:
        query = select(CentreRow).order_by(col(CentreRow.id)).limit(limit)
        if region is not None:
            query = query.where(CentreRow.region == region)
        if after_id is not None:
            query = query.where(col(CentreRow.id) > after_id)
        async with self.db.read() as session:
            return list((await session.exec(query)).all())

    async def count_by_state(self) -> dict[str, int]:
        """Claims per state (the claims gauge)."""
        query = select(ClaimRow.state, func.count()).group_by(col(ClaimRow.state))
        async with self.db.read() as session:
            return {state: count for state, count in (await session.exec(query)).all()}

    async def open_claims(self, centre_ids: list[str]) -> dict[str, int]:
        """Open claims held by each centre."""
        query = (
            select(ClaimRow.centre_id, func.count())
            .where(col(ClaimRow.centre_id).in_(centre_ids), col(ClaimRow.open_serial).is_not(None))
            .group_by(col(ClaimRow.centre_id))
        )
        async with self.db.read() as session:
            return {centre: count for centre, count in (await session.exec(query)).all()}

    async def loads(self, region: str) -> list[Load]:
        rows = await self.centres(region=region, after_id=None, limit=10_000)
        counts = await self.open_claims([r.id for r in rows])
        return [Load(centre_of(r), counts.get(r.id, 0)) for r in rows]

    # -- claims ------------------------------------------------------------------------------------------

    async def file(self, new: NewClaim) -> FileOutcome:
        """Insert the claim unless this request was seen or the serial has an open claim. The unique keys
        (filed_by, request_id) and open_serial decide across replicas; a lost race is answered again."""
        for _ in range(3):
            try:
                async with self.db.write() as session:
                    same = (
                        await session.exec(
                            select(ClaimRow).where(
                                ClaimRow.filed_by == new.filed_by, ClaimRow.request_id == new.request_id
                            )
                        )
                    ).first()
                    if same is not None:
                        if same.request_hash != new.request_hash:
                            return FileOutcome(Filed.REQUEST_ID_REUSED)
                        return FileOutcome(Filed.REPLAYED, same.rma)
                    open_ = (await session.exec(select(ClaimRow).where(ClaimRow.open_serial == new.serial))).first()
                    if open_ is not None:
                        return FileOutcome(Filed.OPEN_CLAIM, open_.rma)
                    status = ClaimStatus(rma=new.rma, serial=new.serial)
                    session.add(
                        ClaimRow(
                            rma=new.rma,
                            serial=new.serial,
                            open_serial=new.serial,
                            state=status.state.value,
                            filed_by=new.filed_by,
                            request_id=new.request_id,
                            request_hash=new.request_hash,
                            fault_category=new.fault_category,
                            region=new.region,
                            incident_at=new.incident_at,
                            retailer_id=new.retailer_id,
                            status=status.model_dump_json(),
                            description=new.description,
                            email=new.email,
                            phone=new.phone,
                            locale=new.locale,
                            return_address=new.return_address,
                            receipt=new.receipt,
                            created_at=new.created_at,
                            updated_at=new.created_at,
                        )
                    )
                    await session.flush()
                return FileOutcome(Filed.CREATED, new.rma)
            except IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise
        raise RuntimeError("claims kept conflicting")  # pragma: no cover

    async def claim(self, rma: str) -> ClaimRow | None:
        """A claim by RMA number: the hot read behind GetClaim and every action's visibility check."""

        found = await self.db.lookup(self._by_rma, rma)
        return ClaimRow.model_construct(**found) if found else None

    async def timeline(self, rma: str) -> list[ClaimEventRow]:
        def fetch(conn: Connection) -> list[ClaimEventRow]:
            return [ClaimEventRow.model_construct(**r) for r in conn.execute(_TIMELINE, {"rma": rma}).mappings()]

        return await self.db.query(fetch)

    async def list_claims(self, filters: ClaimFilters, *, before_id: int | None, limit: int) -> list[ClaimRow]:
        query = claims_page(filters, before_id, limit)

        def fetch(conn: Connection) -> list[ClaimRow]:
            return [ClaimRow.model_construct(**r) for r in conn.execute(query).mappings()]

        return await self.db.query(fetch)

    async def record(self, event: EventRecord) -> bool:
        """Append the event and move the projection to it. Idempotent by (rma, seq): a retried write, or a
        late one after a newer event, changes nothing. False if it was already there: most often the API wrote
        it before answering the update, and this, the workflow's write behind it, only reads (no write lock to
        wait for, no commit to sync)."""
        if await self.written(event.rma, event.seq):
            return False
        try:
            async with self.db.write() as session:
                return await self.record_in(session, event)
        except IntegrityError as exc:  # the same change written at the same moment by the API and the workflow
            if is_unique_violation(exc):
                return False
            raise

    async def written(self, rma: str, seq: int) -> bool:
        """The change (rma, seq) is in the timeline already."""

        def probe(conn: Connection) -> bool:
            return conn.execute(_WRITTEN, {"rma": rma, "seq": seq}).first() is not None

        return await self.db.query(probe)

    async def record_in(self, session: AsyncSession, event: EventRecord) -> bool:
        """`record` inside the caller's transaction (an update's answer and its request log commit together)."""
        s = event.status
        # The claim first, locked: two writers of one claim's changes (the API writing an update's answer,
        # the workflow writing behind it) take turns, and the second finds the first's event.
        row = (await session.exec(select(ClaimRow).where(ClaimRow.rma == event.rma).with_for_update())).first()
        if await session.get(ClaimEventRow, (event.rma, event.seq)) is not None:
            return False
        session.add(
            ClaimEventRow(
                rma=event.rma,
                seq=event.seq,
                kind=event.kind,
                state=s.state.value,
                detail=event.detail[:500],
                occurred_at=event.occurred_at,
                actor=event.actor[:80],
            )
        )
        if row is None:  # a workflow started without FileClaim (ops tooling, tests): keep a projection anyway
            row = ClaimRow(
                rma=event.rma,
                serial=s.serial,
                state=s.state.value,
                filed_by="workflow",
                request_id=event.rma,
                request_hash="",
                fault_category="",
                region="",
                incident_at=event.occurred_at,
                status="{}",
                created_at=event.occurred_at,
                updated_at=event.occurred_at,
            )
        if event.seq > row.seq:
            row.seq = event.seq
            row.status = s.model_dump_json()
            row.state = s.state.value
            row.sku, row.centre_id = s.sku, s.centre_id
            row.retailer_id = s.retailer_id or row.retailer_id  # an unknown serial keeps its filer's id
            row.sla_breached = s.sla_breached
            row.risk_codes = ",".join(f"{f.code}@{f.version}{'' if f.enforced else '~'}" for f in s.risk_flags)
            row.open_serial = None if s.state in TERMINAL else row.serial
            row.updated_at = event.occurred_at
        session.add(row)
        return True

    async def read_in(self, session: AsyncSession, rma: str) -> tuple[ClaimRow, list[ClaimEventRow]]:
        """The claim and its timeline as the caller's transaction has them (its own writes included), read as the
        hot reads are (Core rows, no ORM objects: a long timeline costs microseconds a row)."""
        await session.flush()
        conn = await session.connection()
        row = (await conn.execute(core_select(_C).where(_C.c.rma == rma))).mappings().one()
        events = (await conn.execute(_TIMELINE, {"rma": rma})).mappings()
        return ClaimRow.model_construct(**row), [ClaimEventRow.model_construct(**e) for e in events]

    async def save_feedback_comment(self, rma: str, comment: str) -> None:
        async with self.db.write() as session:
            row = (await session.exec(select(ClaimRow).where(ClaimRow.rma == rma))).first()
            if row is not None and not row.feedback_comment:
                row.feedback_comment = comment
                session.add(row)

    async def others_on_serial(self, serial: str, rma: str) -> list[ClaimRow]:
        """The serial's other claims (the risk rules' facts), oldest first."""
        async with self.db.read() as session:
            query = select(ClaimRow).where(ClaimRow.serial == serial, ClaimRow.rma != rma).order_by(col(ClaimRow.id))
            return list((await session.exec(query)).all())

    async def flagged_since(self, since: datetime) -> tuple[int, list[ClaimRow]]:
        """How many claims were filed since `since`, and those of them a risk rule flagged."""
        async with self.db.read() as session:
            filed = (
                await session.exec(select(func.count()).select_from(ClaimRow).where(ClaimRow.created_at >= since))
            ).one()
            query = select(ClaimRow).where(ClaimRow.created_at >= since, ClaimRow.risk_codes != "")
            return int(filed), list((await session.exec(query)).all())

    async def save_answer(self, rma: str, key: str, text: str, actor: str, now: datetime) -> None:
        """Keep the customer's answer once per request (`key`: the principal and its request_id)."""
        try:
            async with self.db.write() as session:
                session.add(InfoAnswerRow(rma=rma, request_key=key, text=text, actor=actor, created_at=now))
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise

    async def answers(self, rma: str) -> list[InfoAnswerRow]:
        async with self.db.read() as session:
            query = select(InfoAnswerRow).where(InfoAnswerRow.rma == rma).order_by(col(InfoAnswerRow.id))
            return list((await session.exec(query)).all())

    # -- labels and escalations ----------------------------------------------------------------------------

    async def label(self, rma: str, direction: str) -> LabelRow | None:
        async with self.db.read() as session:
            return await session.get(LabelRow, (rma, direction))

    async def save_label(self, label: LabelRow) -> LabelRow:
        """Keep the first label made for (rma, direction); a concurrent retry gets that one back."""
        try:
            async with self.db.write() as session:
                prior = await session.get(LabelRow, (label.rma, label.direction))
                if prior is not None:
                    return prior
                session.add(label)
            return label
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
        kept = await self.label(label.rma, label.direction)
        assert kept is not None
        return kept

    async def escalate(self, escalation: SlaEscalation, now: datetime) -> bool:
        """Record a breached SLA once per claim. False if it was already recorded."""
        async with self.db.write() as session:
            if await session.get(EscalationRow, escalation.rma) is not None:
                return False
            session.add(
                EscalationRow(
                    rma=escalation.rma,
                    centre_id=escalation.centre_id,
                    state=escalation.state.value,
                    due_at=escalation.due_at,
                    escalated_at=now,
                )
            )
        return True

"""The repairs activities against a real database: each is safe to retry."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState, ClaimStatus, Direction
from contracts.repairs import CentreQuery, EventRecord, LabelRequest, SlaEscalation
from services.kit.db import Database
from services.repairs.activities import RepairsActivities
from services.repairs.carriers import LocalCarrier
from services.repairs.domain.centres import Centre
from services.repairs.persistence import MIGRATIONS
from services.repairs.persistence.repository import Filed, NewClaim, RepairsRepository

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[RepairsRepository]:
    db = Database(database_url)
    await db.migrate(MIGRATIONS, "repairs")
    yield RepairsRepository(db)
    await db.dispose()


def new_claim(rma: str, serial: str, request_id: str = "") -> NewClaim:
    return NewClaim(
        rma=rma,
        serial=serial,
        fault_category="ELECTRICAL",
        region="DE",
        incident_at=NOW,
        retailer_id="demo-retailer",
        filed_by="retailer:demo-retailer",
        request_id=request_id or rma,
        request_hash="h",
        description="no heat",
        email="jo@example.com",
        phone="",
        locale="en",
        return_address='{"regionCode": "DE", "locality": "Berlin", "addressLines": ["Invalidenstr. 1"]}',
        created_at=NOW,
    )


def event(rma: str, seq: int, state: ClaimState, centre: str = "a") -> EventRecord:
    status = ClaimStatus(rma=rma, serial="SN-1", state=state, centre_id=centre, seq=seq)
    return EventRecord(rma=rma, seq=seq, kind=state.value, occurred_at=NOW + timedelta(minutes=seq), status=status)


async def add_centre(repo: RepairsRepository, id: str, capacity: int) -> None:
    async with repo.db.write() as session:
        await repo.create_centre(session, Centre(id, id, "DE", ("kettle",), capacity), NOW)


async def test_a_retried_or_late_event_changes_nothing(repo: RepairsRepository) -> None:
    await repo.file(new_claim("RMA-0000-0001", "SN-1"))
    assert await repo.record(event("RMA-0000-0001", 1, ClaimState.AWAITING_SHIPMENT))
    assert await repo.record(event("RMA-0000-0001", 2, ClaimState.IN_TRANSIT_TO_CENTRE))
    assert not await repo.record(event("RMA-0000-0001", 2, ClaimState.IN_TRANSIT_TO_CENTRE))  # retried
    row = await repo.claim("RMA-0000-0001")
    assert row is not None and row.seq == 2 and row.state == "IN_TRANSIT_TO_CENTRE"
    assert [e.seq for e in await repo.timeline("RMA-0000-0001")] == [1, 2]


async def test_an_older_change_landing_after_a_newer_one_never_rewinds_the_claim(repo: RepairsRepository) -> None:
    """Two callers writing two updates' answers at once can land seq 3 before seq 2: the older one joins the
    timeline, the claim stays where the newer one put it, and the next change still applies."""
    await repo.file(new_claim("RMA-0000-0001", "SN-1"))
    assert await repo.record(event("RMA-0000-0001", 1, ClaimState.AWAITING_SHIPMENT, centre="a"))
    assert await repo.record(event("RMA-0000-0001", 3, ClaimState.RECEIVED, centre="b"))
    assert await repo.record(event("RMA-0000-0001", 2, ClaimState.IN_TRANSIT_TO_CENTRE, centre="a"))  # late
    row = await repo.claim("RMA-0000-0001")
    assert row is not None and (row.seq, row.state, row.centre_id) == (3, "RECEIVED", "b")
    assert ClaimStatus.model_validate_json(row.status).state is ClaimState.RECEIVED
    assert await repo.record(event("RMA-0000-0001", 4, ClaimState.DIAGNOSING, centre="b"))
    row = await repo.claim("RMA-0000-0001")
    assert row is not None and (row.seq, row.state) == (4, "DIAGNOSING")
    assert [e.seq for e in await repo.timeline("RMA-0000-0001")] == [1, 2, 3, 4]


async def test_concurrent_writes_for_a_claim_with_no_row_yet_write_it_once(repo: RepairsRepository) -> None:
    """A workflow started without FileClaim has no claim row to lock: its first change written by several callers
    at once races on the insert (on PostgreSQL, a unique violation), and exactly one of them writes it."""
    written = await asyncio.gather(
        *(repo.record(event("RMA-0000-0007", 1, ClaimState.AWAITING_SHIPMENT)) for _ in range(6))
    )
    assert sorted(written) == [False] * 5 + [True]
    row = await repo.claim("RMA-0000-0007")
    assert row is not None and (row.seq, row.state, row.filed_by) == (1, "AWAITING_SHIPMENT", "workflow")
    assert [e.seq for e in await repo.timeline("RMA-0000-0007")] == [1]


async def test_the_api_and_the_workflow_writing_one_change_at_once_write_it_once(repo: RepairsRepository) -> None:
    """Since the write-behind, the repairs API writes an update's changes before it answers while the workflow's
    record_event writes them too: at the same moment, on PostgreSQL, both inserted the event and one failed
    (FileClaim answered INTERNAL)."""
    await repo.file(new_claim("RMA-0000-0001", "SN-1"))
    for seq, state in enumerate((ClaimState.AWAITING_SHIPMENT, ClaimState.IN_TRANSIT_TO_CENTRE), start=1):
        written = await asyncio.gather(*(repo.record(event("RMA-0000-0001", seq, state)) for _ in range(6)))
        assert sorted(written) == [False] * 5 + [True]
    row = await repo.claim("RMA-0000-0001")
    assert row is not None and row.seq == 2 and row.state == "IN_TRANSIT_TO_CENTRE"
    assert [e.seq for e in await repo.timeline("RMA-0000-0001")] == [1, 2]


async def test_a_closed_claim_frees_its_serial_for_a_new_one(repo: RepairsRepository) -> None:
    assert (await repo.file(new_claim("RMA-0000-0001", "SN-1"))).status is Filed.CREATED
    blocked = await repo.file(new_claim("RMA-0000-0002", "SN-1"))
    assert blocked.status is Filed.OPEN_CLAIM and blocked.rma == "RMA-0000-0001"
    await repo.record(event("RMA-0000-0001", 1, ClaimState.REJECTED))
    assert (await repo.file(new_claim("RMA-0000-0002", "SN-1"))).status is Filed.CREATED
    again = await repo.file(new_claim("RMA-0000-0009", "SN-1", request_id="RMA-0000-0002"))
    assert again.status is Filed.REPLAYED and again.rma == "RMA-0000-0002"


async def test_the_least_loaded_centre_is_assigned(repo: RepairsRepository) -> None:
    activities = RepairsActivities(repo, LocalCarrier())
    await add_centre(repo, "big", 30)
    await add_centre(repo, "small", 2)
    query = CentreQuery(rma="RMA-0000-0009", region="DE", product_category="kettle")
    assert (await activities.assign_centre(query)).centre_id == "big"  # both empty: ties go by id
    await repo.file(new_claim("RMA-0000-0001", "SN-1"))
    await repo.record(event("RMA-0000-0001", 1, ClaimState.AWAITING_SHIPMENT, centre="big"))
    assert (await activities.assign_centre(query)).centre_id == "small"  # big holds 1 of 30; small 0 of 2
    await repo.file(new_claim("RMA-0000-0002", "SN-2"))
    await repo.record(event("RMA-0000-0002", 1, ClaimState.AWAITING_SHIPMENT, centre="small"))
    assert (await activities.assign_centre(query)).centre_id == "big"  # small holds 1 of 2
    other = CentreQuery(rma="RMA-0000-0002", region="FR", product_category="kettle")
    assert (await activities.assign_centre(other)).centre_id == ""


async def test_a_label_is_made_once_per_claim_and_direction(repo: RepairsRepository) -> None:
    activities = RepairsActivities(repo, LocalCarrier())
    await add_centre(repo, "a", 10)
    await repo.file(new_claim("RMA-0000-0001", "SN-1"))
    request = LabelRequest(rma="RMA-0000-0001", direction=Direction.TO_CENTRE, centre_id="a")
    first = await activities.create_label(request)
    assert (await activities.create_label(request)).tracking_number == first.tracking_number
    back = await activities.create_label(request.model_copy(update={"direction": Direction.TO_CUSTOMER}))
    assert back.tracking_number != first.tracking_number
    label = await repo.label("RMA-0000-0001", "TO_CENTRE")
    assert label is not None and label.pdf.startswith(b"%PDF-") and label.carrier == "local"
    for tracking in (first.tracking_number, back.tracking_number):
        assert re.fullmatch(r"LC\d{12}", tracking), tracking
        assert luhn_valid(tracking[2:]), tracking


def luhn_valid(digits: str) -> bool:
    """The Luhn check, written from its definition: double every second digit from the right."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        d = int(ch) * 2 if position % 2 == 1 else int(ch)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_the_luhn_check_catches_a_changed_digit() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


async def test_an_sla_breach_is_escalated_once(repo: RepairsRepository) -> None:
    escalation = SlaEscalation(rma="RMA-0000-0001", centre_id="a", due_at=NOW, state=ClaimState.REPAIRING)
    assert await repo.escalate(escalation, NOW)
    assert not await repo.escalate(escalation, NOW + timedelta(hours=1))

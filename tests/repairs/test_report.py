"""The ops summaries: who each state waits on, stuck claims, NPS, turnaround and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState
from lifecycle.transitions import TERMINAL
from services.repairs.domain.report import (
    UNASSIGNED,
    ClaimFacts,
    WaitingOn,
    median_turnaround,
    nps,
    report,
    stuck,
    waiting_on,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def facts(
    rma: str,
    state: ClaimState,
    centre: str = "berlin-1",
    *,
    took: timedelta = timedelta(days=1),
    breached: bool = False,
    score: int | None = None,
) -> ClaimFacts:
    return ClaimFacts(rma, state, centre, T0, T0 + took, breached, score)


@pytest.mark.parametrize("state", list(ClaimState))
def test_every_state_waits_on_someone_or_nobody(state: ClaimState) -> None:
    party = waiting_on(state, "berlin-1")
    if state in TERMINAL or state is ClaimState.SUBMITTED:
        assert party is WaitingOn.NOBODY
    elif state is ClaimState.AWAITING_REVIEW:
        assert party is WaitingOn.OPS
    else:
        assert party in (WaitingOn.CUSTOMER, WaitingOn.CARRIER, WaitingOn.CENTRE)


@pytest.mark.parametrize(
    ("state", "centre", "party"),
    [
        (ClaimState.AWAITING_SHIPMENT, "", WaitingOn.OPS),
        (ClaimState.AWAITING_REVIEW, "", WaitingOn.OPS),
        (ClaimState.AWAITING_CUSTOMER_INFO, "", WaitingOn.CUSTOMER),
        (ClaimState.AWAITING_SHIPMENT, "berlin-1", WaitingOn.CUSTOMER),
        (ClaimState.AWAITING_QUOTE_DECISION, "berlin-1", WaitingOn.CUSTOMER),
        (ClaimState.IN_TRANSIT_TO_CENTRE, "berlin-1", WaitingOn.CARRIER),
        (ClaimState.AWAITING_PARTS, "berlin-1", WaitingOn.CENTRE),
        (ClaimState.DIAGNOSING, "berlin-1", WaitingOn.CENTRE),
        (ClaimState.DELIVERED, "berlin-1", WaitingOn.CUSTOMER),
        (ClaimState.CLOSED, "berlin-1", WaitingOn.NOBODY),
    ],
)
def test_who_a_claim_waits_on(state: ClaimState, centre: str, party: WaitingOn) -> None:
    assert waiting_on(state, centre) is party


def test_stuck_lists_open_claims_older_than_the_threshold_oldest_first() -> None:
    now = T0 + timedelta(days=10)
    claims = [
        ClaimFacts("RMA-A", ClaimState.AWAITING_PARTS, "berlin-1", T0, now - timedelta(days=3)),
        ClaimFacts("RMA-B", ClaimState.DIAGNOSING, "berlin-1", T0, now - timedelta(days=5)),
        ClaimFacts("RMA-C", ClaimState.REPAIRING, "lyon-1", T0, now - timedelta(hours=2)),  # recent
        ClaimFacts("RMA-D", ClaimState.CLOSED, "lyon-1", T0, now - timedelta(days=9)),  # finished
        ClaimFacts("RMA-E", ClaimState.AWAITING_PARTS, "lyon-1", T0, now - timedelta(days=2)),  # exactly 2 days
    ]
    assert [c.rma for c in stuck(claims, now, timedelta(days=2))] == ["RMA-B", "RMA-A"]
    assert stuck(claims, now, timedelta(days=30)) == []


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        ([10, 9, 10], 100.0),
        ([0, 6, 3], -100.0),
        ([7, 8], 0.0),
        ([10, 0], 0.0),
        ([10, 9, 8, 7, 6], 20.0),
        ([10, 10, 10, 5], 50.0),
        ([9, 6, 6], -33.3),
    ],
)
def test_nps(scores: list[int], expected: float | None) -> None:
    assert nps(scores) == expected


@pytest.mark.parametrize("bad", [-1, 11])
def test_nps_refuses_scores_off_the_scale(bad: int) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        nps([5, bad])


def test_median_turnaround_counts_closed_claims_only() -> None:
    claims = [
        facts("RMA-1", ClaimState.CLOSED, took=timedelta(days=1)),
        facts("RMA-2", ClaimState.CLOSED, took=timedelta(days=3)),
        facts("RMA-3", ClaimState.CLOSED, took=timedelta(days=10)),
        facts("RMA-4", ClaimState.CANCELLED, took=timedelta(days=100)),
        facts("RMA-5", ClaimState.REPAIRING, took=timedelta(days=100)),
    ]
    assert median_turnaround(claims) == timedelta(days=3)
    assert median_turnaround(claims[:2]) == timedelta(days=2)  # the mean of the middle two
    assert median_turnaround(claims[3:]) is None


def test_report_by_state_centre_and_party() -> None:
    claims = [
        facts("RMA-1", ClaimState.CLOSED, "berlin-1", took=timedelta(days=2), score=10),
        facts("RMA-2", ClaimState.CLOSED, "berlin-1", took=timedelta(days=4), score=3, breached=True),
        facts("RMA-3", ClaimState.AWAITING_PARTS, "berlin-1", breached=True),
        facts("RMA-4", ClaimState.CLOSED, "lyon-1", took=timedelta(days=6), score=9),
        facts("RMA-5", ClaimState.AWAITING_SHIPMENT, ""),
        facts("RMA-6", ClaimState.REJECTED, ""),
    ]
    r = report(claims)
    assert r.by_state == {"AWAITING_SHIPMENT": 1, "AWAITING_PARTS": 1, "CLOSED": 3, "REJECTED": 1}
    assert list(r.by_state) == ["AWAITING_SHIPMENT", "AWAITING_PARTS", "CLOSED", "REJECTED"]  # lifecycle order
    assert [row.name for row in r.by_centre] == [UNASSIGNED, "berlin-1", "lyon-1"]
    berlin = r.by_centre[1]
    assert (berlin.total, berlin.open, berlin.closed, berlin.sla_breached) == (3, 1, 2, 2)
    assert berlin.median_turnaround == timedelta(days=3)
    assert (berlin.nps, berlin.responses) == (0.0, 2)
    lyon = r.by_centre[2]
    assert (lyon.nps, lyon.median_turnaround) == (100.0, timedelta(days=6))
    unassigned = r.by_centre[0]
    assert (unassigned.total, unassigned.open, unassigned.nps, unassigned.median_turnaround) == (2, 1, None, None)
    assert (r.overall.total, r.overall.closed, r.overall.median_turnaround) == (6, 3, timedelta(days=4))
    assert r.overall.nps == pytest.approx(33.3)
    assert r.waiting_on == {"centre": 1, "ops": 1}


def test_report_of_nothing() -> None:
    r = report([])
    assert (r.by_state, r.by_centre, r.overall.total, r.overall.nps) == ({}, [], 0, None)

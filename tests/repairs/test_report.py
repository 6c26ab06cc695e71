"""The ops summaries: who each state waits on, stuck claims, NPS, turnaround and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState
from lifecycle.transitions import TERMINAL
from services.repairs.domain.report import (
    NOT_DIAGNOSED,
    UNASSIGNED,
    ClaimFacts,
    GroupBy,
    WaitingOn,
    in_window,
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
    assert [row.name for row in r.groups] == [UNASSIGNED, "berlin-1", "lyon-1"]
    berlin = r.groups[1]
    assert (berlin.total, berlin.open, berlin.closed, berlin.sla_breached) == (3, 1, 2, 2)
    assert berlin.median_turnaround == timedelta(days=3)
    assert (berlin.nps, berlin.responses) == (0.0, 2)
    lyon = r.groups[2]
    assert (lyon.nps, lyon.median_turnaround) == (100.0, timedelta(days=6))
    unassigned = r.groups[0]
    assert (unassigned.total, unassigned.open, unassigned.nps, unassigned.median_turnaround) == (2, 1, None, None)
    assert (r.overall.total, r.overall.closed, r.overall.median_turnaround) == (6, 3, timedelta(days=4))
    assert r.overall.nps == pytest.approx(33.3)
    assert r.waiting_on == {"centre": 1, "ops": 1}


def test_report_of_nothing() -> None:
    r = report([])
    assert (r.by_state, r.groups, r.overall.total, r.overall.nps) == ({}, [], 0, None)


def sold_claim(
    rma: str, sku: str, *, days: int = 0, cause: str = "", retailer: str = "shop", fault: str = "ELECTRICAL"
) -> ClaimFacts:
    return ClaimFacts(
        rma, ClaimState.CLOSED, "berlin-1", T0 + timedelta(days=days), T0 + timedelta(days=days + 2),
        sku=sku, retailer_id=retailer, fault=fault, root_cause=cause,
    )  # fmt: skip


CLAIMS = [
    sold_claim("RMA-1", "KETTLE", cause="ELECTRICAL/HEATING_ELEMENT"),
    sold_claim("RMA-2", "KETTLE", cause="ELECTRICAL/HEATING_ELEMENT", retailer="other"),
    sold_claim("RMA-3", "KETTLE", cause="ELECTRICAL/FUSE", fault="DISPLAY"),
    sold_claim("RMA-4", "TOASTER", days=10),
]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (GroupBy.CENTRE, {"berlin-1": 4}),
        (GroupBy.SKU, {"KETTLE": 3, "TOASTER": 1}),
        (GroupBy.FAULT, {"DISPLAY": 1, "ELECTRICAL": 3}),
        (GroupBy.ROOT_CAUSE, {NOT_DIAGNOSED: 1, "ELECTRICAL/FUSE": 1, "ELECTRICAL/HEATING_ELEMENT": 2}),
        (GroupBy.RETAILER, {"other": 1, "shop": 3}),
    ],
)
def test_the_report_groups_by_what_failure_analysis_asks(by: GroupBy, expected: dict[str, int]) -> None:
    r = report(CLAIMS, by)
    assert r.grouped_by is by and {row.name: row.total for row in r.groups} == expected
    assert [row.name for row in r.groups] == sorted(expected) and r.overall.total == 4


def test_the_failure_rate_divides_a_skus_claims_by_its_units_sold() -> None:
    r = report(CLAIMS, GroupBy.SKU, sold={"KETTLE": 300, "TOASTER": 0, "FRIDGE": 50})
    kettle, toaster = r.groups
    assert (kettle.sold, kettle.failure_rate) == (300, 0.01)
    assert (toaster.sold, toaster.failure_rate) == (0, None)  # nothing sold in the window: no rate, not infinity
    assert (r.overall.sold, r.overall.failure_rate) == (350, 4 / 350)
    assert report(CLAIMS, GroupBy.CENTRE, sold={"KETTLE": 300}).groups[0].sold is None  # a rate is per SKU
    nothing_sold = report(CLAIMS, GroupBy.SKU, sold={})  # no sale in the window at all
    assert [(row.sold, row.failure_rate) for row in nothing_sold.groups] == [(0, None), (0, None)]


def test_the_window_takes_the_claims_filed_in_it() -> None:
    assert [c.rma for c in in_window(CLAIMS, T0 + timedelta(days=1), None)] == ["RMA-4"]
    assert [c.rma for c in in_window(CLAIMS, None, T0 + timedelta(days=10))] == ["RMA-1", "RMA-2", "RMA-3"]
    assert in_window(CLAIMS, T0, T0) == [] and len(in_window(CLAIMS, None, None)) == 4
    assert [c.rma for c in in_window(CLAIMS, T0, None)] == ["RMA-1", "RMA-2", "RMA-3", "RMA-4"]  # from: inclusive

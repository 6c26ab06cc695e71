"""What ops ask of many claims at once (`aftercare ops stuck|report`): pure functions of claim facts.

- Who a claim waits on, from its state: the customer, a carrier, its centre, or ops (a review, or no centre
  assigned).
- Stuck: open claims whose last change is older than a threshold, oldest first.
- The report: claims filed in a window, per state and grouped by centre, SKU, fault, root cause or retailer,
  with the median turnaround (filed → closed, for closed claims), the Net Promoter Score (% of 9-10 scores minus
  % of 0-6 scores) and, by SKU, the failure rate: claims ÷ the units of that SKU sold in the same window."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median

from contracts.claims import ClaimState
from lifecycle.transitions import TERMINAL

UNASSIGNED = "(unassigned)"
NOT_DIAGNOSED = "(not diagnosed)"


class GroupBy(StrEnum):
    CENTRE = "centre"
    SKU = "sku"
    FAULT = "fault"  # the customer's fault category: the symptom
    ROOT_CAUSE = "root-cause"  # what the centre found
    RETAILER = "retailer"


class WaitingOn(StrEnum):
    CUSTOMER = "customer"
    CARRIER = "carrier"
    CENTRE = "centre"
    OPS = "ops"
    NOBODY = "nobody"  # closed, or the workflow is deciding (SUBMITTED)


_WAITS_ON = {
    ClaimState.AWAITING_SHIPMENT: WaitingOn.CUSTOMER,
    ClaimState.AWAITING_QUOTE_DECISION: WaitingOn.CUSTOMER,
    ClaimState.AWAITING_CUSTOMER_INFO: WaitingOn.CUSTOMER,
    ClaimState.AWAITING_REVIEW: WaitingOn.OPS,
    ClaimState.DELIVERED: WaitingOn.CUSTOMER,  # the survey
    ClaimState.REFUNDED: WaitingOn.CUSTOMER,  # the survey
    ClaimState.IN_TRANSIT_TO_CENTRE: WaitingOn.CARRIER,
    ClaimState.IN_TRANSIT_TO_CUSTOMER: WaitingOn.CARRIER,
    ClaimState.RECEIVED: WaitingOn.CENTRE,
    ClaimState.DIAGNOSING: WaitingOn.CENTRE,
    ClaimState.REPAIRING: WaitingOn.CENTRE,
    ClaimState.AWAITING_PARTS: WaitingOn.CENTRE,
    ClaimState.QUALITY_CHECK: WaitingOn.CENTRE,
    ClaimState.READY_TO_SHIP: WaitingOn.CARRIER,
}


@dataclass(frozen=True)
class ClaimFacts:
    """The fields of a claim that ops' summaries need (no personal data)."""

    rma: str
    state: ClaimState
    centre_id: str
    created: datetime
    updated: datetime
    sla_breached: bool = False
    feedback_score: int | None = None
    sku: str = ""
    retailer_id: str = ""
    fault: str = ""  # FaultCategory name
    root_cause: str = ""  # once diagnosed

    def group(self, by: GroupBy) -> str:
        """The name of the group this claim falls in."""
        return _GROUPS[by](self) or _NONE.get(by, "-")

    @property
    def open(self) -> bool:
        return self.state not in TERMINAL


_GROUPS: dict[GroupBy, Callable[[ClaimFacts], str]] = {
    GroupBy.CENTRE: lambda c: c.centre_id,
    GroupBy.SKU: lambda c: c.sku,
    GroupBy.FAULT: lambda c: c.fault,
    GroupBy.ROOT_CAUSE: lambda c: c.root_cause,
    GroupBy.RETAILER: lambda c: c.retailer_id,
}


_NONE = {GroupBy.CENTRE: UNASSIGNED, GroupBy.ROOT_CAUSE: NOT_DIAGNOSED}  # the group of a claim without one


def in_window(claims: Iterable[ClaimFacts], since: datetime | None, until: datetime | None) -> list[ClaimFacts]:
    """The claims filed in [since, until) (either end open)."""
    return [c for c in claims if (since is None or c.created >= since) and (until is None or c.created < until)]


def waiting_on(state: ClaimState, centre_id: str) -> WaitingOn:
    if state in TERMINAL or state is ClaimState.SUBMITTED:
        return WaitingOn.NOBODY
    if state is ClaimState.AWAITING_SHIPMENT and not centre_id:
        return WaitingOn.OPS  # approved, but no centre fits: ops must assign one
    return _WAITS_ON.get(state, WaitingOn.NOBODY)


def stuck(claims: Iterable[ClaimFacts], now: datetime, older_than: timedelta) -> list[ClaimFacts]:
    """Open claims unchanged for longer than `older_than`, the longest-waiting first."""
    return sorted((c for c in claims if c.open and now - c.updated > older_than), key=lambda c: c.updated)


def nps(scores: Iterable[int]) -> float | None:
    """Net Promoter Score from 0-10 answers: from -100 to 100; None without answers."""
    answers = list(scores)
    if not answers:
        return None
    if any(not 0 <= s <= 10 for s in answers):
        raise ValueError("NPS answers are from 0 to 10")
    promoters = sum(1 for s in answers if s >= 9)
    detractors = sum(1 for s in answers if s <= 6)
    return round(100 * (promoters - detractors) / len(answers), 1)


def median_turnaround(claims: Iterable[ClaimFacts]) -> timedelta | None:
    """Median time from filing to closing, over closed claims; None when none closed."""
    spans = [(c.updated - c.created).total_seconds() for c in claims if c.state is ClaimState.CLOSED]
    return timedelta(seconds=median(spans)) if spans else None


@dataclass(frozen=True)
class Row:
    """One line of the report: a group's claims (or all of them)."""

    name: str
    total: int
    open: int
    closed: int
    sla_breached: int
    median_turnaround: timedelta | None
    nps: float | None
    responses: int
    sold: int | None = None  # units of this SKU sold in the window (grouped by SKU)

    @property
    def failure_rate(self) -> float | None:
        """Claims per unit sold; None without sales to divide by."""
        return self.total / self.sold if self.sold else None


@dataclass(frozen=True)
class Report:
    by_state: dict[str, int]
    groups: list[Row]
    overall: Row
    waiting_on: dict[str, int] = field(default_factory=dict)
    grouped_by: GroupBy = GroupBy.CENTRE


def _row(name: str, claims: Sequence[ClaimFacts], sold: int | None = None) -> Row:
    scores = [c.feedback_score for c in claims if c.feedback_score is not None]
    return Row(
        name=name,
        total=len(claims),
        open=sum(1 for c in claims if c.open),
        closed=sum(1 for c in claims if c.state is ClaimState.CLOSED),
        sla_breached=sum(1 for c in claims if c.sla_breached),
        median_turnaround=median_turnaround(claims),
        nps=nps(scores),
        responses=len(scores),
        sold=sold,
    )


def report(claims: Iterable[ClaimFacts], by: GroupBy = GroupBy.CENTRE, sold: Mapping[str, int] | None = None) -> Report:
    """The report over `claims`, grouped `by`; `sold` (units per SKU, same window) gives SKU rows a failure rate."""
    every = list(claims)
    grouped: dict[str, list[ClaimFacts]] = defaultdict(list)
    for c in every:
        grouped[c.group(by)].append(c)
    states = Counter(c.state.value for c in every)
    waits = Counter(waiting_on(c.state, c.centre_id).value for c in every if c.open)
    per_sku = sold if by is GroupBy.SKU and sold is not None else None
    total_sold = sum(sold.values()) if sold is not None else None
    return Report(
        by_state={s.value: states[s.value] for s in ClaimState if states[s.value]},
        groups=[
            _row(name, grouped[name], None if per_sku is None else per_sku.get(name, 0)) for name in sorted(grouped)
        ],
        overall=_row("all", every, total_sold),
        waiting_on=dict(sorted(waits.items())),
        grouped_by=by,
    )

"""What ops ask of many claims at once (`aftercare ops stuck|report`): pure functions of claim facts.

- Who a claim waits on, from its state: the customer, a carrier, its centre, or ops (a review, or no centre
  assigned).
- Stuck: open claims whose last change is older than a threshold, oldest first.
- The report: claims per state and per centre, with the median turnaround (filed → closed, for closed
  claims) and the Net Promoter Score (% of 9-10 scores minus % of 0-6 scores)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median

from contracts.claims import ClaimState
from lifecycle.transitions import TERMINAL

UNASSIGNED = "(unassigned)"


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

    @property
    def open(self) -> bool:
        return self.state not in TERMINAL


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
    """One line of the report: a centre's claims (or all of them)."""

    name: str
    total: int
    open: int
    closed: int
    sla_breached: int
    median_turnaround: timedelta | None
    nps: float | None
    responses: int


@dataclass(frozen=True)
class Report:
    by_state: dict[str, int]
    by_centre: list[Row]
    overall: Row
    waiting_on: dict[str, int] = field(default_factory=dict)


def _row(name: str, claims: Sequence[ClaimFacts]) -> Row:
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
    )


def report(claims: Iterable[ClaimFacts]) -> Report:
    every = list(claims)
    per_centre: dict[str, list[ClaimFacts]] = defaultdict(list)
    for c in every:
        per_centre[c.centre_id or UNASSIGNED].append(c)
    states = Counter(c.state.value for c in every)
    waits = Counter(waiting_on(c.state, c.centre_id).value for c in every if c.open)
    return Report(
        by_state={s.value: states[s.value] for s in ClaimState if states[s.value]},
        by_centre=[_row(name, per_centre[name]) for name in sorted(per_centre)],
        overall=_row("all", every),
        waiting_on=dict(sorted(waits.items())),
    )

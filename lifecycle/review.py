"""Whether a claim waits for a person before its label is issued, and why. Pure.

The approval policy is the product's (overridable per retailer, resolved by the warranty service): `AUTO`
(no review: the entitlement check decides), `MANUAL` (every claim the check would accept waits for review) or
`RULES` (automatic unless an enforced risk rule flags it). Whatever the mode, a paid quote above the policy's
review limit waits for review. A claim the check refuses is refused without review: a person cannot be asked
to approve what no policy covers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contracts.claims import ClaimState, Event, RiskFlag


class ApprovalMode(StrEnum):
    AUTO = "AUTO"
    MANUAL = "MANUAL"
    RULES = "RULES"


class Reason(StrEnum):
    """Why a claim is in review, beside the codes of the enforced risk flags."""

    MANUAL_POLICY = "MANUAL_POLICY"
    QUOTE_ABOVE_LIMIT = "QUOTE_ABOVE_LIMIT"


def review_reasons(
    mode: str, pending: Event, flags: list[RiskFlag], *, quote_minor: int = 0, review_above_minor: int = 0
) -> list[str]:
    """Why the claim must wait for review (empty: it goes on at once). `pending` is what the entitlement check
    decided (APPROVED, QUOTE_OFFERED or REJECTED); `quote_minor` the paid repair offered, if any."""
    if pending is Event.REJECTED:
        return []
    reasons: list[str] = []
    if mode == ApprovalMode.MANUAL:
        reasons.append(Reason.MANUAL_POLICY)
    if pending is Event.QUOTE_OFFERED and review_above_minor > 0 and quote_minor > review_above_minor:
        reasons.append(Reason.QUOTE_ABOVE_LIMIT)
    if mode == ApprovalMode.RULES:
        reasons += [flag.code for flag in flags if flag.enforced]
    return list(dict.fromkeys(reasons))


class RejectionReason(StrEnum):
    """What ops may give as the reason for a rejection (RejectClaim); each has its sentence for the customer."""

    NOT_COVERED = "NOT_COVERED"
    INSUFFICIENT_EVIDENCE = "INSUFFICIENT_EVIDENCE"
    MISUSE = "MISUSE"
    DUPLICATE_CLAIM = "DUPLICATE_CLAIM"
    SUSPECTED_FRAUD = "SUSPECTED_FRAUD"
    OTHER = "OTHER"


# -- the rules report --------------------------------------------------------------------------------------

_PENDING = frozenset({ClaimState.SUBMITTED, ClaimState.AWAITING_REVIEW, ClaimState.AWAITING_CUSTOMER_INFO})
_OTHER = frozenset({ClaimState.CANCELLED, ClaimState.EXPIRED})


def outcome(state: ClaimState) -> str:
    """How a flagged claim ended, for the report: rejected, pending (no decision yet), other (cancelled or
    expired: nobody decided) or approved (it went on to a label, a quote, a repair)."""
    if state is ClaimState.REJECTED:
        return "rejected"
    if state in _PENDING:
        return "pending"
    if state in _OTHER:
        return "other"
    return "approved"


@dataclass(frozen=True)
class RuleFigures:
    code: str
    version: int
    enforced: bool
    fired: int
    approved: int
    rejected: int
    pending: int
    other: int


def rules_report(claims: Iterable[tuple[list[RiskFlag], ClaimState]]) -> list[RuleFigures]:
    """Per rule, version and mode: how many claims it flagged and how they ended, by code then version."""
    counts: dict[tuple[str, int, bool], Counter[str]] = {}
    for flags, state in claims:
        for key in {(f.code, f.version, f.enforced) for f in flags}:
            counts.setdefault(key, Counter())[outcome(state)] += 1
    return [
        RuleFigures(
            code,
            version,
            enforced,
            sum(c.values()),
            c["approved"],
            c["rejected"],
            c["pending"],
            c["other"],
        )
        for (code, version, enforced), c in sorted(counts.items())
    ]

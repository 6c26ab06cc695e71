"""Entitlement: is an incident covered, and by what. A pure function of the warranty's terms.

Every window is half-open, [start, end): the last covered instant is one microsecond before the end.
Coverage is counted in calendar months and days in the sale's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.kit.errors import FailedPrecondition
from services.warranty.domain.timezones import add_days, add_months, parse_zone

MAX_EXTENDED_MONTHS = 120


class CoverageKind(StrEnum):
    RETURN_WINDOW = "RETURN_WINDOW"
    STANDARD = "STANDARD"
    EXTENDED = "EXTENDED"
    NONE = "NONE"


class Reason(StrEnum):
    WITHIN_RETURN_WINDOW = "WITHIN_RETURN_WINDOW"
    WITHIN_STANDARD_WARRANTY = "WITHIN_STANDARD_WARRANTY"
    WITHIN_EXTENDED_PLAN = "WITHIN_EXTENDED_PLAN"
    EXPIRED = "EXPIRED"
    VOIDED = "VOIDED"
    BEFORE_PURCHASE = "BEFORE_PURCHASE"
    FAULT_NOT_COVERED = "FAULT_NOT_COVERED"


@dataclass(frozen=True)
class Terms:
    """What a warranty promises: the policy it was sold under, plus what happened to it since."""

    purchased_at: datetime  # aware
    time_zone: str
    coverage_months: int
    return_window_days: int
    extended_months: int = 0
    covered_categories: frozenset[str] = frozenset()
    transferred: bool = False  # the return window is the buyer's, and does not pass to a new owner
    voided: bool = False


@dataclass(frozen=True)
class Windows:
    return_window_end: datetime
    standard_end: datetime
    coverage_end: datetime


@dataclass(frozen=True)
class Entitlement:
    covered: bool
    kind: CoverageKind
    reason: Reason
    coverage_end: datetime


def windows(terms: Terms) -> Windows:
    zone = parse_zone(terms.time_zone)
    return Windows(
        return_window_end=add_days(terms.purchased_at, terms.return_window_days, zone),
        standard_end=add_months(terms.purchased_at, terms.coverage_months, zone),
        coverage_end=coverage_end(terms),
    )


def coverage_end(terms: Terms) -> datetime:
    """When all cover ends: the standard months plus any extended ones, in the sale's zone (the stored,
    indexed end of every warranty)."""
    return add_months(terms.purchased_at, terms.coverage_months + terms.extended_months, parse_zone(terms.time_zone))


def decide(terms: Terms, incident_at: datetime, fault_category: str | None = None) -> Entitlement:
    w = windows(terms)

    def no(reason: Reason) -> Entitlement:
        return Entitlement(False, CoverageKind.NONE, reason, w.coverage_end)

    if terms.voided:
        return no(Reason.VOIDED)
    if incident_at < terms.purchased_at:
        return no(Reason.BEFORE_PURCHASE)
    if incident_at >= w.coverage_end:
        return no(Reason.EXPIRED)
    if fault_category is not None and fault_category not in terms.covered_categories:
        return no(Reason.FAULT_NOT_COVERED)
    if incident_at < w.return_window_end and not terms.transferred:
        return Entitlement(True, CoverageKind.RETURN_WINDOW, Reason.WITHIN_RETURN_WINDOW, w.return_window_end)
    if incident_at < w.standard_end:
        return Entitlement(True, CoverageKind.STANDARD, Reason.WITHIN_STANDARD_WARRANTY, w.standard_end)
    return Entitlement(True, CoverageKind.EXTENDED, Reason.WITHIN_EXTENDED_PLAN, w.coverage_end)


def check_can_extend(terms: Terms, months: int, now: datetime) -> None:
    """An extended plan is bought while the warranty still covers something, up to a total cap."""
    if terms.voided:
        raise FailedPrecondition("the warranty is voided", reason="WARRANTY_VOIDED")
    end = windows(terms).coverage_end
    if now >= end:
        raise FailedPrecondition(
            f"coverage ended at {end.isoformat()}; plans must be bought before it ends", reason="WARRANTY_EXPIRED"
        )
    if terms.extended_months + months > MAX_EXTENDED_MONTHS:
        raise FailedPrecondition(
            f"extended plans may add at most {MAX_EXTENDED_MONTHS} months in all", reason="EXTENSION_LIMIT"
        )

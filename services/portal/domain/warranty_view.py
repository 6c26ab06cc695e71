"""What the warranty page says: which coverage runs now and whether the plan offer may be shown. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum


class Coverage(StrEnum):
    STANDARD = "standard"
    EXTENDED = "extended"
    ENDED = "ended"
    VOIDED = "voided"


@dataclass(frozen=True)
class WarrantyFacts:
    voided: bool
    standard_end: datetime
    coverage_end: datetime
    plans: int
    offer_months: int  # 0: the product offers no plan


@dataclass(frozen=True)
class WarrantyView:
    coverage: Coverage
    offer: bool


def last_covered_moment(coverage_end: datetime) -> datetime:
    """Coverage ends exclusively: the last covered moment is just before the end (a coverage ending at
    midnight covers the day before, which is the day to show)."""
    return coverage_end - timedelta(microseconds=1)


def last_covered_day(coverage_end: datetime, zone: tzinfo) -> datetime:
    return last_covered_moment(coverage_end).astimezone(zone)


def view(facts: WarrantyFacts, now: datetime) -> WarrantyView:
    if facts.voided:
        return WarrantyView(Coverage.VOIDED, offer=False)
    if now >= facts.coverage_end:
        return WarrantyView(Coverage.ENDED, offer=False)
    coverage = Coverage.EXTENDED if facts.plans and now >= facts.standard_end else Coverage.STANDARD
    return WarrantyView(coverage, offer=facts.offer_months > 0)

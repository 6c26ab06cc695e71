"""The warranty-expiry reminder (a daily Temporal Schedule): which warranties to remind, and the business key
that makes the reminder go out once per warranty and coverage period, however often the job runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts.warranty import REMINDER_WINDOW as WINDOW
from services.warranty.domain.entitlement import Terms, windows

__all__ = ["WINDOW", "expiring_on", "reminder_key"]


def expiring_on(terms: Terms, now: datetime, within: timedelta = WINDOW) -> datetime | None:
    """The coverage end when it falls in [now, now + within) and the warranty is not void; else None."""
    if terms.voided:
        return None
    end = windows(terms).coverage_end
    return end if now <= end < now + within else None


def reminder_key(serial: str, coverage_end: datetime) -> str:
    """One reminder per warranty and coverage end: an extended plan moves the end and opens a new window."""
    return f"warranty-expiry/{serial}/{coverage_end.date().isoformat()}"

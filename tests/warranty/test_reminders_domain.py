"""Which warranties the expiry reminder picks, and its once-per-window key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.warranty.domain.entitlement import Terms
from services.warranty.domain.reminders import WINDOW, expiring_on, reminder_key

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def terms(purchased: datetime, **changes: object) -> Terms:
    base = Terms(purchased_at=purchased, time_zone="Europe/Berlin", coverage_months=24, return_window_days=30)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("purchased", "expected_end"),
    [
        (datetime(2024, 12, 10, 12, tzinfo=UTC), datetime(2026, 12, 10, 12, tzinfo=UTC)),  # ends in 16 days
        (datetime(2024, 11, 24, 8, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC)),  # ends right now: still due
        (datetime(2024, 12, 24, 7, 59, tzinfo=UTC), datetime(2026, 12, 24, 7, 59, tzinfo=UTC)),  # a minute inside
        (datetime(2024, 12, 24, 8, tzinfo=UTC), None),  # exactly 30 days away: the next run's
        (datetime(2024, 11, 24, 7, 59, tzinfo=UTC), None),  # ended a minute ago
        (datetime(2025, 6, 1, tzinfo=UTC), None),  # months to go
    ],
)
def test_the_window_is_the_next_30_days(purchased: datetime, expected_end: datetime | None) -> None:
    assert expiring_on(terms(purchased), NOW) == expected_end


def test_a_void_warranty_gets_no_offer() -> None:
    assert expiring_on(terms(datetime(2024, 12, 10, tzinfo=UTC), voided=True), NOW) is None


def test_an_extended_plan_moves_the_end_out_of_the_window_and_into_a_later_one() -> None:
    extended = terms(datetime(2024, 12, 10, 12, tzinfo=UTC), extended_months=12)
    assert expiring_on(extended, NOW) is None
    later = datetime(2027, 11, 24, 8, tzinfo=UTC)
    assert expiring_on(extended, later) == datetime(2027, 12, 10, 12, tzinfo=UTC)


def test_the_window_can_be_narrowed() -> None:
    assert expiring_on(terms(datetime(2024, 12, 10, 12, tzinfo=UTC)), NOW, timedelta(days=7)) is None
    assert timedelta(days=30) == WINDOW


def test_the_key_is_per_warranty_and_coverage_end() -> None:
    end = datetime(2026, 12, 10, 12, tzinfo=UTC)
    assert reminder_key("SN-1", end) == "warranty-expiry/SN-1/2026-12-10"
    assert reminder_key("SN-1", end + timedelta(hours=1)) == reminder_key("SN-1", end)  # a rerun the same day
    assert reminder_key("SN-1", end.replace(year=2027)) != reminder_key("SN-1", end)  # the next window
    assert reminder_key("SN-2", end) != reminder_key("SN-1", end)

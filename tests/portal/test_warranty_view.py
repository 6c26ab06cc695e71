"""What the warranty page says (services/portal/domain/warranty_view.py), at every boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.portal.domain.warranty_view import Coverage, WarrantyFacts, last_covered_day, view

END = datetime(2027, 1, 15, tzinfo=UTC)
STANDARD_END = END - timedelta(days=365)


@pytest.mark.parametrize(
    ("voided", "plans", "now", "coverage", "offer"),
    [
        (False, 0, STANDARD_END - timedelta(days=1), Coverage.STANDARD, True),
        (False, 1, STANDARD_END - timedelta(seconds=1), Coverage.STANDARD, True),
        (False, 1, STANDARD_END, Coverage.EXTENDED, True),
        (False, 1, END - timedelta(microseconds=1), Coverage.EXTENDED, True),
        (False, 1, END, Coverage.ENDED, False),  # the end is exclusive
        (True, 0, STANDARD_END - timedelta(days=1), Coverage.VOIDED, False),
    ],
)
def test_which_coverage_runs_and_whether_to_offer_a_plan(
    voided: bool, plans: int, now: datetime, coverage: Coverage, offer: bool
) -> None:
    shown = view(WarrantyFacts(voided, STANDARD_END, END, plans, offer_months=24), now)
    assert (shown.coverage, shown.offer) == (coverage, offer)
    assert not view(WarrantyFacts(voided, STANDARD_END, END, plans, offer_months=0), now).offer


def test_the_last_covered_day_is_the_day_before_an_end_at_midnight() -> None:
    paris = timezone(timedelta(hours=1))
    midnight_in_paris = datetime(2027, 1, 15, tzinfo=paris)
    assert last_covered_day(midnight_in_paris, paris).date() == datetime(2027, 1, 14).date()
    assert last_covered_day(datetime(2027, 1, 15, 10, tzinfo=paris), paris).date() == datetime(2027, 1, 15).date()

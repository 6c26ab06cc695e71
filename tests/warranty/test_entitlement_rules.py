"""The entitlement rules at every boundary: the last instant of each window, leap days, month ends,
time zones and DST, voids, transfers, extended plans and fault categories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kit.errors import FailedPrecondition
from services.warranty.domain.entitlement import (
    MAX_EXTENDED_MONTHS,
    CoverageKind,
    Reason,
    Terms,
    check_can_extend,
    decide,
    windows,
)
from services.warranty.domain.timezones import add_days, add_months, parse_zone

US = timedelta(microseconds=1)
CATS = frozenset({"ELECTRICAL", "MECHANICAL"})


def terms(purchased: datetime, zone: str = "+00:00", **kw: object) -> Terms:
    base: dict[str, object] = {"coverage_months": 24, "return_window_days": 30, "covered_categories": CATS}
    base.update(kw)
    return Terms(purchased_at=purchased, time_zone=zone, **base)  # type: ignore[arg-type]


P = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "kind", "reason"),
    [
        (P - US, CoverageKind.NONE, Reason.BEFORE_PURCHASE),
        (P, CoverageKind.RETURN_WINDOW, Reason.WITHIN_RETURN_WINDOW),
        (P + timedelta(days=30) - US, CoverageKind.RETURN_WINDOW, Reason.WITHIN_RETURN_WINDOW),
        (P + timedelta(days=30), CoverageKind.STANDARD, Reason.WITHIN_STANDARD_WARRANTY),
        (datetime(2027, 3, 10, 12, tzinfo=UTC) - US, CoverageKind.STANDARD, Reason.WITHIN_STANDARD_WARRANTY),
        (datetime(2027, 3, 10, 12, tzinfo=UTC), CoverageKind.NONE, Reason.EXPIRED),
    ],
)
def test_windows_are_half_open_to_the_microsecond(at: datetime, kind: CoverageKind, reason: Reason) -> None:
    result = decide(terms(P), at)
    assert (result.kind, result.reason, result.covered) == (kind, reason, kind is not CoverageKind.NONE)


def test_extended_plan_covers_after_standard_until_its_own_end() -> None:
    t = terms(P, extended_months=12)
    standard_end = datetime(2027, 3, 10, 12, tzinfo=UTC)
    end = datetime(2028, 3, 10, 12, tzinfo=UTC)
    assert decide(t, standard_end - US).kind is CoverageKind.STANDARD
    extended = decide(t, standard_end)
    assert (extended.kind, extended.reason, extended.coverage_end) == (
        CoverageKind.EXTENDED,
        Reason.WITHIN_EXTENDED_PLAN,
        end,
    )
    assert decide(t, end - US).kind is CoverageKind.EXTENDED
    assert decide(t, end).reason is Reason.EXPIRED


def test_answer_carries_the_end_of_the_window_that_applies() -> None:
    assert decide(terms(P), P).coverage_end == P + timedelta(days=30)
    assert decide(terms(P), P + timedelta(days=40)).coverage_end == datetime(2027, 3, 10, 12, tzinfo=UTC)
    assert decide(terms(P), datetime(2030, 1, 1, tzinfo=UTC)).coverage_end == datetime(2027, 3, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("purchased", "months", "end"),
    [
        (datetime(2024, 2, 29, 9, tzinfo=UTC), 12, datetime(2025, 2, 28, 9, tzinfo=UTC)),  # leap day, clamped
        (datetime(2024, 2, 29, 9, tzinfo=UTC), 48, datetime(2028, 2, 29, 9, tzinfo=UTC)),  # next leap day
        (datetime(2024, 1, 31, 9, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, tzinfo=UTC)),  # month end, leap year
        (datetime(2025, 1, 31, 9, tzinfo=UTC), 1, datetime(2025, 2, 28, 9, tzinfo=UTC)),  # month end
        (datetime(2025, 8, 31, 9, tzinfo=UTC), 1, datetime(2025, 9, 30, 9, tzinfo=UTC)),
        (datetime(2025, 11, 15, 9, tzinfo=UTC), 2, datetime(2026, 1, 15, 9, tzinfo=UTC)),  # year wraps
        (
            datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            12,
            datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        ),
    ],
)
def test_months_are_calendar_months_clamped_to_month_end(purchased: datetime, months: int, end: datetime) -> None:
    assert add_months(purchased, months, UTC) == end


def test_months_count_in_the_sales_time_zone_not_utc() -> None:
    # 31 Jan 23:30 in New York is 1 Feb in UTC: one month later is 28 Feb in New York, not 1 March.
    purchased = datetime(2025, 1, 31, 23, 30, tzinfo=parse_zone("America/New_York")).astimezone(UTC)
    end = windows(terms(purchased, "America/New_York", coverage_months=1)).standard_end
    assert end == datetime(2025, 2, 28, 23, 30, tzinfo=parse_zone("America/New_York")).astimezone(UTC)
    in_utc = windows(terms(purchased, "+00:00", coverage_months=1)).standard_end
    assert in_utc == datetime(2025, 3, 1, 4, 30, tzinfo=UTC)


def test_wall_clock_is_kept_across_daylight_saving() -> None:
    paris = parse_zone("Europe/Paris")
    purchased = datetime(2025, 1, 10, 10, 0, tzinfo=paris)  # CET, UTC+1
    end = add_months(purchased, 6, paris)  # July: CEST, UTC+2
    assert end == datetime(2025, 7, 10, 8, 0, tzinfo=UTC)
    assert add_days(purchased, 90, paris) == datetime(2025, 4, 10, 8, 0, tzinfo=UTC)


def test_fixed_offsets_and_bad_zones() -> None:
    assert parse_zone("+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert parse_zone("-03:00").utcoffset(None) == timedelta(hours=-3)
    for bad in ("+15:00", "+05:60", "Mars/Olympus", "5:30", ""):
        with pytest.raises(ValueError):
            parse_zone(bad)


def test_voided_covers_nothing_even_inside_the_return_window() -> None:
    result = decide(terms(P, voided=True), P + timedelta(days=1))
    assert (result.covered, result.kind, result.reason) == (False, CoverageKind.NONE, Reason.VOIDED)


def test_return_window_does_not_pass_to_a_new_owner() -> None:
    result = decide(terms(P, transferred=True), P + timedelta(days=1))
    assert (result.kind, result.reason) == (CoverageKind.STANDARD, Reason.WITHIN_STANDARD_WARRANTY)


def test_no_return_window_when_the_policy_has_none() -> None:
    assert decide(terms(P, return_window_days=0), P).kind is CoverageKind.STANDARD


@pytest.mark.parametrize(("fault", "covered"), [("ELECTRICAL", True), ("ACCIDENTAL_DAMAGE", False), (None, True)])
def test_fault_category_must_be_covered(fault: str | None, covered: bool) -> None:
    result = decide(terms(P), P + timedelta(days=100), fault)
    assert result.covered is covered
    if not covered:
        assert result.reason is Reason.FAULT_NOT_COVERED


def test_expiry_wins_over_fault_category() -> None:
    assert decide(terms(P), datetime(2030, 1, 1, tzinfo=UTC), "ACCIDENTAL_DAMAGE").reason is Reason.EXPIRED


def test_plans_can_be_bought_until_the_last_instant_of_coverage() -> None:
    end = datetime(2027, 3, 10, 12, tzinfo=UTC)
    check_can_extend(terms(P), 12, end - US)
    with pytest.raises(FailedPrecondition) as expired:
        check_can_extend(terms(P), 12, end)
    assert expired.value.reason == "WARRANTY_EXPIRED"
    with pytest.raises(FailedPrecondition) as voided:
        check_can_extend(terms(P, voided=True), 12, P)
    assert voided.value.reason == "WARRANTY_VOIDED"
    with pytest.raises(FailedPrecondition) as cap:
        check_can_extend(terms(P, extended_months=MAX_EXTENDED_MONTHS - 5), 6, P)
    assert cap.value.reason == "EXTENSION_LIMIT"


@pytest.mark.parametrize(
    ("already", "more", "allowed"),
    [(0, 120, True), (115, 5, True), (119, 1, True), (120, 1, False), (60, 61, False), (0, 121, False)],
)
def test_plans_add_exactly_120_months_at_most(already: int, more: int, allowed: bool) -> None:
    if allowed:
        check_can_extend(terms(P, extended_months=already), more, P)
    else:
        with pytest.raises(FailedPrecondition, match="at most 120 months"):
            check_can_extend(terms(P, extended_months=already), more, P)

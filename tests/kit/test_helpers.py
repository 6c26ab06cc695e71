"""The kit's list paging helper and civil time: the pieces every service and client now share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.rpc import error_details_pb2

from services.kit import pagination
from services.kit.errors import DomainError, InvalidArgument, NotFound, ResourceExhausted, Unavailable, Violations
from services.kit.grpc_server import to_status
from services.kit.timestamps import civil

ROWS = list(range(1, 8))  # ids 1..7, listed in id order


async def after(cursor: int | None, limit: int) -> list[int]:
    return [r for r in ROWS if cursor is None or r > cursor][:limit]


async def test_pages_walk_the_whole_list_once_and_end_with_no_token() -> None:
    filters = {"state": "OPEN"}
    seen, token, pages = [], "", 0
    while True:
        page = await pagination.page(3, token, filters, after, lambda r: r)
        seen += page.items
        pages += 1
        if not (token := page.next_page_token):
            break
    assert (seen, pages) == (ROWS, 3)


async def test_a_page_that_fits_exactly_has_no_next_token() -> None:
    page = await pagination.page(7, "", {}, after, lambda r: r)
    assert (page.items, page.next_page_token) == (ROWS, "")


async def test_a_token_is_only_good_for_its_filters() -> None:
    first = await pagination.page(3, "", {"state": "OPEN"}, after, lambda r: r)
    with pytest.raises(InvalidArgument) as refused:
        await pagination.page(3, first.next_page_token, {"state": "CLOSED"}, after, lambda r: r)
    assert refused.value.violations[0].field == "page_token"


def test_civil_time_keeps_the_tills_offset() -> None:
    till = datetime(2026, 5, 1, 10, 30, 15, 999, tzinfo=timezone(timedelta(hours=2)))
    value = civil(till)
    assert (value.year, value.month, value.day, value.hours, value.minutes, value.seconds) == (2026, 5, 1, 10, 30, 15)
    assert value.utc_offset.seconds == 7200 and not value.time_zone.id
    assert civil(till.astimezone(UTC)).utc_offset.seconds == 0


def test_civil_time_needs_an_offset() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        civil(datetime(2026, 5, 1, 10, 30))


async def test_until_fails_naming_what_it_waited_for() -> None:
    from tests.stack import until

    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"not reached within 0s: the parcel delivered"):
        await until(never, within=0.2, what="the parcel delivered")
    with pytest.raises(AssertionError, match="not reached within 0s: never"):
        await until(never, within=0.2)


@pytest.mark.parametrize(
    ("error", "retry_seconds"),
    [
        (Unavailable("the database is unavailable"), 1),
        (ResourceExhausted("too many requests"), 1),
        (NotFound("no such thing"), None),
    ],
)
def test_answers_that_invite_a_retry_say_when(error: DomainError, retry_seconds: int | None) -> None:
    status = to_status(error, "kit.aftercare")
    delays = []
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            delays.append(info.retry_delay.seconds)
    assert delays == ([] if retry_seconds is None else [retry_seconds])


def test_secrets_never_print() -> None:
    from services.notifications.settings import NotificationsSettings
    from services.warranty.settings import WarrantySettings

    secrets = {
        "api_keys": "ops=ak_ops_s3cret",
        "temporal_api_key": "tk_s3cret",
        "smtp_password": "smtp_s3cret",
        "sms_token": "sms_s3cret",
        "service_api_key": "svc_s3cret",
    }
    notifications = NotificationsSettings(**secrets)  # type: ignore[arg-type]
    warranty = WarrantySettings(customer_id_key="cid_s3cret")
    shown = repr(notifications) + str(notifications) + repr(warranty) + str(notifications.model_dump())
    assert "s3cret" not in shown
    assert notifications.own_service_key() == "svc_s3cret" and warranty.customer_key() == b"cid_s3cret"


def test_enum_names_are_checked_against_the_proto() -> None:
    from aftercare.repairs.v1 import repairs_pb2 as rpb

    from services.kit.validation import enum_name

    v = Violations()
    assert enum_name(v, "direction", rpb.Direction, rpb.DIRECTION_TO_CUSTOMER, "DIRECTION_") == "TO_CUSTOMER"
    assert enum_name(v, "direction", rpb.Direction, 0, "DIRECTION_") is None and not v
    assert enum_name(v, "direction", rpb.Direction, 7, "DIRECTION_") is None
    assert [(x.field, x.description) for x in v.items] == [("direction", "is not one of TO_CENTRE, TO_CUSTOMER")]


def test_incoming_times_out_of_range_are_violations() -> None:
    from google.protobuf.timestamp_pb2 import Timestamp

    from services.kit.timestamps import checked

    v = Violations()
    assert checked(v, "t", Timestamp(seconds=1_700_000_000)) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert checked(v, "t", Timestamp(seconds=2**62)) is None
    assert checked(v, "t", Timestamp(seconds=0, nanos=-1)) is None
    assert [x.field for x in v.items] == ["t", "t"]

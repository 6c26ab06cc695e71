"""google.protobuf.Timestamp to and from aware UTC datetimes, and google.type.DateTime from one, for every
service's proto mapping and every client."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import duration_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import datetime_pb2

from services.kit.errors import Violations

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts(moment: datetime) -> Timestamp:
    """As Timestamp.FromDatetime (a naive moment is UTC), in a fifth of its time: it is on every answer."""
    delta = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000)


def ts_or_none(moment: datetime | None) -> Timestamp | None:
    """For optional fields: None leaves the field unset."""
    return ts(moment) if moment is not None else None


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def civil(moment: datetime) -> datetime_pb2.DateTime:
    """An aware datetime as google.type.DateTime in its own UTC offset (to the second), as a till records it."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a civil time needs its UTC offset")
    return datetime_pb2.DateTime(
        year=moment.year,
        month=moment.month,
        day=moment.day,
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        utc_offset=duration_pb2.Duration(seconds=int(offset.total_seconds())),
    )


def checked(v: Violations, field: str, stamp: Timestamp) -> datetime | None:
    """An incoming Timestamp as UTC, or None with a violation when it is out of range (years 1 to 9999,
    nanos 0 to 999,999,999): protobuf carries any numbers, datetime does not."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        v.add(field, "is not a valid time: seconds within years 1 to 9999 and nanos from 0 to 999999999")
        return None

"""google.protobuf.Timestamp to and from aware UTC datetimes, for every service's proto mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def ts(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def ts_or_none(moment: datetime | None) -> Timestamp | None:
    """For optional fields: None leaves the field unset."""
    return ts(moment) if moment is not None else None


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)

"""The kit's pieces on every call's path, made cheap in issue 16, still mean what they meant: the Timestamp
mapping, the span of a process that records none, and the point reads on the database's own driver."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from services.kit import tracing
from services.kit.db import Database, KeyedRead, UtcDateTime
from services.kit.errors import Unavailable
from services.kit.timestamps import ts

moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from([None, UTC])
) | st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 1, 1),
    timezones=st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)


@given(moments)
def test_ts_is_protobufs_own_mapping(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment)  # a naive moment is UTC, an aware one its instant
    assert ts(moment) == expected


def test_a_server_span_where_nothing_records_still_carries_fresh_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "recording", False)
    from services.kit.grpc_server import server_span

    seen = []
    for _ in range(2):
        with server_span("/aftercare.warranty.v1.WarrantyService/GetWarranty", [("authorization", "x")]):
            seen.append(trace.get_current_span().get_span_context())
    assert all(c.is_valid and not c.is_remote for c in seen)
    assert seen[0].trace_id != seen[1].trace_id and seen[0].span_id != seen[1].span_id
    assert not trace.get_current_span().get_span_context().is_valid  # nothing left behind

    # A caller's trace is continued, recorded or not.
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with server_span("/m/x", [("traceparent", parent)]):
        context = trace.get_current_span().get_span_context()
    assert format(context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"


metadata = MetaData()
THINGS = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True),
    Column("at", UtcDateTime),
    Column("gone_at", UtcDateTime, nullable=True),
    Column("plain", DateTime(timezone=True), nullable=True),
)


async def test_a_point_read_converts_each_column_as_sqlalchemy_does(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
            await conn.execute(insert(THINGS), [{"name": "one", "at": at}])
        read = KeyedRead(db, THINGS, "name")
        found = await db.lookup(read, "one")
        async with db.engine.connect() as conn:
            expected = dict((await conn.execute(THINGS.select())).mappings().one())
        assert found == expected and found["at"] == at and found["at"].tzinfo is UTC and found["gone_at"] is None
        assert await db.lookup(read, "two") is None
    finally:
        await db.dispose()


async def test_a_point_read_when_postgresql_does_not_answer_is_unavailable() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")  # no server on port 1
    try:
        with pytest.raises(Unavailable) as refused:
            await db.lookup(KeyedRead(db, THINGS, "name"), "one")
        assert refused.value.reason == "DEPENDENCY_UNAVAILABLE"
        with pytest.raises(Unavailable):  # and the next read tries again, rather than keep the first failure
            await db.lookup(KeyedRead(db, THINGS, "name"), "one")
    finally:
        await db.dispose()


async def test_a_point_read_that_finds_sqlite_busy_waits_off_the_loop(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(insert(THINGS), [{"name": "one", "at": datetime(2026, 1, 1, tzinfo=UTC)}])
        await db.engine.dispose()  # its pooled connection would keep the holder from locking everyone out
        holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")  # no other connection may even read now
        read = KeyedRead(db, THINGS, "name")
        waiting = asyncio.ensure_future(db.lookup(read, "one"))
        ticks = 0
        while not waiting.done() and ticks < 20:  # the loop keeps running while the read waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not waiting.done()
        holder.execute("COMMIT")
        holder.close()
        found = await asyncio.wait_for(waiting, 10)
        assert found is not None and found["name"] == "one"
    finally:
        await db.dispose()

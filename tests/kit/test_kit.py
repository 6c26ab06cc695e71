"""The service kit's pure pieces: group commit, page tokens, error mapping, logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
import sqlalchemy.exc
from google.rpc import code_pb2

from devtools.keys import ensure_dev_keys
from services.kit import pagination
from services.kit.auth import KeyStore, Principal, Role
from services.kit.batching import GroupCommitter
from services.kit.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unavailable,
    Violations,
)
from services.kit.grpc_server import classify, to_status
from services.kit.logs import JsonFormatter
from tests.rpc import details


async def test_group_commit_shares_one_flush_among_concurrent_callers() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)  # a commit takes time; callers arriving meanwhile join the next batch
        return [i * 10 for i in items]

    committer = GroupCommitter(flush, max_batch=8)
    committer.start()
    results = await asyncio.gather(*(committer.submit(i) for i in range(20)))
    assert results == [i * 10 for i in range(20)]
    assert sorted(i for b in batches for i in b) == list(range(20))
    assert len(batches) < 20 and max(len(b) for b in batches) <= 8
    assert await committer.submit_many([1, 2, 3]) == [10, 20, 30]
    await committer.stop()


async def test_group_commit_failure_reaches_every_waiter_and_the_writer_survives() -> None:
    calls = 0

    async def flush(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return items

    committer = GroupCommitter(flush)
    committer.start()
    with pytest.raises(RuntimeError):
        await committer.submit(1)
    assert await committer.submit(2) == 2
    await committer.stop()


def test_page_tokens_round_trip_and_are_bound_to_filters() -> None:
    token = pagination.encode(42, {"r": "a"})
    assert pagination.decode(token, {"r": "a"}) == 42
    assert pagination.decode("", {"r": "a"}) is None
    with pytest.raises(InvalidArgument) as other:
        pagination.decode(token, {"r": "b"})
    assert other.value.violations[0].field == "page_token"
    with pytest.raises(InvalidArgument):
        pagination.decode("%%%", {})
    assert pagination.page_size(0) == pagination.DEFAULT_PAGE_SIZE
    assert pagination.page_size(10**6) == pagination.MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument):
        pagination.page_size(-1)


def test_domain_errors_become_rich_statuses() -> None:
    status = to_status(InvalidArgument([FieldViolation("serial", "is required")]), "warranty.aftercare")
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert details(status) == ("INVALID_ARGUMENT", "warranty.aftercare", {"serial": "is required"})
    assert to_status(NotFound("x", reason="WARRANTY_NOT_FOUND"), "d").code == code_pb2.NOT_FOUND
    assert to_status(AlreadyExists("x"), "d").code == code_pb2.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (sqlalchemy.exc.OperationalError("stmt", {}, Exception("database is locked")), "UNAVAILABLE"),
        (ConnectionRefusedError(), "UNAVAILABLE"),
        (TimeoutError(), "UNAVAILABLE"),
        (KeyError("boom"), "INTERNAL"),
        (Unavailable("x"), "UNAVAILABLE"),
    ],
)
def test_every_exception_gets_a_real_code_never_unknown(exc: BaseException, code: str) -> None:
    error = classify(exc)
    assert isinstance(error, DomainError) and error.code == code
    assert to_status(error, "d").code != code_pb2.UNKNOWN


def test_violations_collect_everything() -> None:
    v = Violations()
    v.add("a", "bad")
    v.add("b", "worse")
    with pytest.raises(InvalidArgument) as raised:
        v.raise_if_any()
    assert [f.field for f in raised.value.violations] == ["a", "b"]


def test_logs_are_json_and_exceptions_keep_their_stack_but_not_their_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.kit.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise ValueError("jo@example.com is not allowed")
    except ValueError as exc:
        logger.error("rpc failed", extra={"method": "/x", "code": "INTERNAL"}, exc_info=exc)
    entry = json.loads(stream.getvalue())
    assert (entry["msg"], entry["method"], entry["exc_type"]) == ("rpc failed", "/x", "ValueError")
    assert entry["stack"] and "jo@example.com" not in stream.getvalue()


def test_dev_keys_are_kept_and_new_principals_get_keys(tmp_path: Path) -> None:
    file = tmp_path / "api-keys.json"
    first = dict(ensure_dev_keys(file, ["ops", "retailer:demo-retailer"]))
    grown = dict(ensure_dev_keys(file, ["ops", "retailer:demo-retailer", "carrier:local"]))
    assert {k: grown[k] for k in first} == first  # existing keys survive an upgrade
    assert grown["carrier:local"].startswith("ak_carrier_") and len(set(grown.values())) == 3
    assert file.stat().st_mode & 0o777 == 0o600
    assert KeyStore.from_config("", file).authenticate([("authorization", f"Bearer {grown['carrier:local']}")]) == (
        Principal(Role.CARRIER, "local")
    )

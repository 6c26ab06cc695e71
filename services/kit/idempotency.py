"""Idempotent mutations (AIP-155). A retried request with the same `request_id` gets the first answer and
changes nothing; the same id with a different body is rejected.

The request log is a table in each service's own database, written in the same transaction as the change
it records, so the two commit together. Its primary key (scope, request_id) is the source of truth across
replicas: a concurrent duplicate fails on it, rolls back, and is answered from the winner's row."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import Column, LargeBinary
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.db import Database, UtcDateTime, is_unique_violation
from services.kit.errors import FieldViolation, InvalidArgument, Violations

M = TypeVar("M", bound=Message)
log = logging.getLogger("aftercare.idempotency")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestLog(SQLModel, table=True):
    __tablename__ = "request_log"

    scope: str = Field(primary_key=True, max_length=80)  # the caller: a principal
    request_id: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    response: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


def check_request_id(v: Violations, request_id: str, field: str = "request_id") -> None:
    if not _REQUEST_ID.match(request_id):
        v.add(field, "is required: 1 to 128 of A-Z a-z 0-9 . _ : - (a UUID is best)")


def fingerprint(method: str, request: Message) -> str:
    """What makes two requests "the same": the method and every field but request_id."""
    request_id = request.request_id  # type: ignore[attr-defined]
    request.ClearField("request_id")  # cleared and put back rather than copied: this runs for every sale
    try:
        body = request.SerializeToString(deterministic=True)
    finally:
        request.request_id = request_id  # type: ignore[attr-defined]
    return hashlib.sha256(method.encode() + b"\0" + body).hexdigest()


def reused() -> InvalidArgument:
    return InvalidArgument(
        [FieldViolation("request_id", "was already used for a different request; use a new request_id")],
        reason="REQUEST_ID_REUSED",
    )


class _Raced(Exception):
    pass


async def run_once(
    db: Database,
    scope: str,
    request: Message,
    method: str,
    response_type: type[M],
    mutate: Callable[[AsyncSession], Awaitable[M]],
) -> M:
    """Run `mutate` in a transaction once per (scope, request_id), recording its response with it.
    The caller has validated the request, request_id included."""
    request_id: str = request.request_id  # type: ignore[attr-defined]
    digest = fingerprint(method, request)
    for _ in range(3):
        try:
            async with db.write() as session:
                prior = await session.get(RequestLog, (scope, request_id))
                if prior is not None:
                    if prior.fingerprint != digest:
                        raise reused()
                    return response_type.FromString(prior.response)
                response = await mutate(session)
                session.add(
                    RequestLog(
                        scope=scope,
                        request_id=request_id,
                        fingerprint=digest,
                        response=response.SerializeToString(),
                        created_at=datetime.now(UTC),
                    )
                )
                try:
                    await session.flush()
                except IntegrityError as exc:
                    if is_unique_violation(exc):
                        raise _Raced from exc
                    raise
            return response
        except _Raced:
            continue  # a concurrent duplicate committed first: the next round answers from its record
    raise RuntimeError("request log kept conflicting")  # pragma: no cover


async def recall(db: Database, scope: str, request_id: str, digest: str) -> bytes | None:
    """The recorded answer to an earlier request with this id, or None; a different body is rejected.
    For mutations whose change happens elsewhere (a workflow update): `remember` records the answer after."""
    async with db.read() as session:
        prior = await session.get(RequestLog, (scope, request_id))
    if prior is None:
        return None
    if prior.fingerprint != digest:
        raise reused()
    return prior.response


async def remember(db: Database, scope: str, request_id: str, digest: str, response: bytes) -> None:
    """Record the first answer to a request; a concurrent duplicate that recorded first is kept."""
    try:
        async with db.write() as session:
            await remember_in(session, scope, request_id, digest, response)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise


async def remember_in(session: AsyncSession, scope: str, request_id: str, digest: str, response: bytes) -> None:
    """`remember` inside the caller's transaction, so the answer commits with the change it answers; the caller
    handles a concurrent duplicate's unique violation."""
    if await session.get(RequestLog, (scope, request_id)) is None:
        session.add(
            RequestLog(
                scope=scope, request_id=request_id, fingerprint=digest, response=response, created_at=datetime.now(UTC)
            )
        )


async def purge(db: Database, older_than: datetime) -> int:
    """Forget the requests recorded before `older_than`; how many. A retry of one of them is then a new
    request (the retention is the window in which a retry is recognised)."""
    async with db.write() as session:
        result = await session.exec(delete(RequestLog).where(col(RequestLog.created_at) < older_than))
        return int(result.rowcount or 0)


async def purge_daily(db: Database, retention: timedelta, every: timedelta = timedelta(hours=24)) -> None:
    """Keep the request log to `retention`: purge now, then every `every`. Every replica may run it."""
    while True:
        try:
            forgotten = await purge(db, datetime.now(UTC) - retention)
            log.info("request log purged", extra={"forgotten": forgotten, "retention_days": retention.days})
        except Exception:
            log.warning("request log purge failed; trying again later", exc_info=True)
        await asyncio.sleep(every.total_seconds())

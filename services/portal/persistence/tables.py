"""The portal's tables: link tokens, one-time codes and sessions, all stored as hashes. No claim or warranty
data and no contact lives here: those stay with their services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from services.kit.db import UtcDateTime
from services.kit.idempotency import RequestLog  # noqa: F401 - part of this service's schema


class LinkRow(SQLModel, table=True):
    __tablename__ = "links"
    __table_args__ = (Index("ix_links_subject", "subject", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256 of the token; the token itself is never kept
    subject: str = Field(max_length=8)  # claim | warranty
    ref: str = Field(max_length=64)  # the RMA or the serial
    customer_id: str = Field(default="", max_length=64)  # the owner when the link was made
    page: str = Field(max_length=16)
    locale: str = Field(max_length=8)
    time_zone: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CodeRow(SQLModel, table=True):
    __tablename__ = "codes"
    __table_args__ = (
        Index("ix_codes_subject", "subject", "ref", "created_at"),
        Index("ix_codes_client", "client_hash", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)  # random; the browser holds it while it types the code
    subject: str = Field(max_length=8)
    ref: str = Field(max_length=64)
    customer_id: str = Field(default="", max_length=64)
    code_hash: str = Field(max_length=64)  # HMAC of the code with `salt`; "" when no code was sent
    salt: str = Field(max_length=32)
    client_hash: str = Field(max_length=64)  # SHA-256 of the client address, for the per-client limit
    tries: int = 0
    locale: str = Field(max_length=8)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_subject", "subject", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    sid_hash: str = Field(unique=True, max_length=64)  # SHA-256 of the cookie's value
    csrf: str = Field(max_length=64)  # the form token of this session
    subject: str = Field(max_length=8)
    ref: str = Field(max_length=64)
    customer_id: str = Field(default="", max_length=64)
    link_id: int | None = None  # the link that opened it (revoking the link ends it)
    time_zone: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)

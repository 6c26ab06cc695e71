"""Reads and writes of the portal database: links, codes and sessions, looked up by hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.db import Database, UtcDateTime
from services.portal.persistence.tables import CodeRow, LinkRow, SessionRow

_S = SessionRow.__table__  # type: ignore[attr-defined]
_SESSION = core_select(_S).where(
    _S.c.sid_hash == bindparam("sid_hash"), _S.c.expires_at > bindparam("now", type_=UtcDateTime)
)


class PortalRepository:
    def __init__(self, db: Database):
        self.db = db

    # -- links --------------------------------------------------------------------------------------------

    async def add_link(self, row: LinkRow) -> LinkRow:
        async with self.db.write() as session:
            session.add(row)
            await session.flush()
            await session.refresh(row)
            return row

    async def link(self, token_hash: str) -> LinkRow | None:
        async with self.db.read() as session:
            rows = await session.exec(select(LinkRow).where(LinkRow.token_hash == token_hash))
            return rows.first()

    async def revoke(self, session: AsyncSession, subject: str, ref: str, now: datetime) -> int:
        """Revoke every live link to the subject, in the caller's transaction; their sessions end with them."""
        live = col(LinkRow.revoked_at).is_(None) & (col(LinkRow.expires_at) > now)
        result = await session.exec(
            update(LinkRow)
            .where((col(LinkRow.subject) == subject) & (col(LinkRow.ref) == ref) & live)
            .values(revoked_at=now)
        )
        await session.exec(
            update(SessionRow)
            .where((col(SessionRow.subject) == subject) & (col(SessionRow.ref) == ref))
            .values(expires_at=now)
        )
        return int(result.rowcount or 0)

    async def revoke_link(self, link_id: int, now: datetime) -> None:
        async with self.db.write() as session:
            await session.exec(update(LinkRow).where(col(LinkRow.id) == link_id).values(revoked_at=now))
            await session.exec(update(SessionRow).where(col(SessionRow.link_id) == link_id).values(expires_at=now))

    # -- sessions -----------------------------------------------------------------------------------------

    async def add_session(self, row: SessionRow) -> None:
        async with self.db.write() as session:
            session.add(row)

    async def session(self, sid_hash: str, now: datetime) -> SessionRow | None:
        """The live session by its id's hash: the read behind every page, a compiled statement on the
        service's read path (no ORM session)."""

        def fetch(conn: Connection) -> SessionRow | None:
            found = conn.execute(_SESSION, {"sid_hash": sid_hash, "now": now}).mappings().first()
            return SessionRow.model_construct(**found) if found else None

        return await self.db.query(fetch)

    async def end_session(self, sid_hash: str, now: datetime) -> None:
        async with self.db.write() as session:
            await session.exec(update(SessionRow).where(col(SessionRow.sid_hash) == sid_hash).values(expires_at=now))

    # -- one-time codes -----------------------------------------------------------------------------------

    async def add_code(self, row: CodeRow) -> None:
        async with self.db.write() as session:
            session.add(row)

    async def code(self, code_id: str) -> CodeRow | None:
        async with self.db.read() as session:
            return await session.get(CodeRow, code_id)

    async def codes_since(self, since: datetime, *, subject: str = "", ref: str = "", client_hash: str = "") -> int:
        """How many codes were asked for since `since`, for one subject or from one client."""
        query = select(func.count()).select_from(CodeRow).where(col(CodeRow.created_at) >= since)
        if client_hash:
            query = query.where(CodeRow.client_hash == client_hash)
        else:
            query = query.where(CodeRow.subject == subject, CodeRow.ref == ref)
        async with self.db.read() as session:
            return int((await session.exec(query)).one())

    async def take_try(self, code_id: str, max_tries: int, now: datetime) -> bool:
        """Count one try; False when none is left, the code is used or expired (one atomic update, so
        concurrent guesses cannot share a try)."""
        async with self.db.write() as session:
            result = await session.exec(
                update(CodeRow)
                .where(
                    (col(CodeRow.id) == code_id)
                    & (col(CodeRow.tries) < max_tries)
                    & col(CodeRow.used_at).is_(None)
                    & (col(CodeRow.expires_at) > now)
                )
                .values(tries=CodeRow.tries + 1)
            )
            return bool(result.rowcount)

    async def use_code(self, code_id: str, now: datetime) -> bool:
        """Mark the code used; only the first caller wins (a replayed code opens nothing)."""
        async with self.db.write() as session:
            result = await session.exec(
                update(CodeRow).where((col(CodeRow.id) == code_id) & col(CodeRow.used_at).is_(None)).values(used_at=now)
            )
            return bool(result.rowcount)

    async def purge(self, before: datetime) -> None:
        """Forget codes and sessions that ended before `before` (links stay: a dead link's page says so)."""
        async with self.db.write() as session:
            await session.exec(delete(CodeRow).where(col(CodeRow.expires_at) < before))
            await session.exec(delete(SessionRow).where(col(SessionRow.expires_at) < before))

"""Reads and writes of a claim's photos' metadata (the bytes live in the attachment store)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.kit.db import Database, is_unique_violation
from services.repairs.persistence.tables import AttachmentRow


class TooManyAttachments(Exception):
    """The claim has as many attachments as it may have."""


class AttachmentsRepository:
    """Attachment rows (the bytes are in the attachment store)."""

    def __init__(self, db: Database):
        self.db = db

    async def list(self, rma: str) -> list[AttachmentRow]:
        async with self.db.read() as session:
            rows = await session.exec(
                select(AttachmentRow).where(AttachmentRow.rma == rma).order_by(col(AttachmentRow.pk))
            )
            return list(rows)

    async def get(self, rma: str, attachment_id: str) -> AttachmentRow | None:
        async with self.db.read() as session:
            rows = await session.exec(
                select(AttachmentRow).where(AttachmentRow.rma == rma, AttachmentRow.id == attachment_id)
            )
            return rows.first()

    async def by_request(self, principal: str, request_id: str) -> AttachmentRow | None:
        async with self.db.read() as session:
            rows = await session.exec(
                select(AttachmentRow).where(
                    AttachmentRow.added_by_principal == principal, AttachmentRow.request_id == request_id
                )
            )
            return rows.first()

    async def add(self, row: AttachmentRow, limit: int) -> AttachmentRow:
        """Insert the row unless the claim has `limit` already (TooManyAttachments); a concurrent retry of the
        same request gets the row that won."""
        try:
            async with self.db.write() as session:
                count = (
                    await session.exec(
                        select(func.count()).select_from(AttachmentRow).where(AttachmentRow.rma == row.rma)
                    )
                ).one()
                if count >= limit:
                    raise TooManyAttachments()
                session.add(row)
            return row
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            existing = await self.by_request(row.added_by_principal, row.request_id)
            assert existing is not None
            return existing

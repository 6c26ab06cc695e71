"""Where attachments' bytes live. The repairs database keeps each attachment's row (claim, type, size, digest);
the bytes go to a store behind this interface. The default is a local directory (var/attachments), which is
right for one machine; replicas in production must share one store: mount a shared volume there, or plug in
an S3-compatible object store by implementing `AttachmentStore` (put/get/delete by key)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.kit.auth import Principal, Role
from services.kit.idempotency import reused
from services.repairs.domain import photos
from services.repairs.persistence.attachments import AttachmentsRepository
from services.repairs.persistence.tables import AttachmentRow

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class AttachmentStore(Protocol):
    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class LocalDirectoryStore:
    """Files under one directory, written whole (temp file, then rename) so a reader never sees half a file."""

    def __init__(self, directory: Path):
        self.directory = directory

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("not an attachment key")
        return self.directory / key[:2] / key

    async def put(self, key: str, content: bytes) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


ADDED_BY = {Role.PORTAL: "customer", Role.RETAILER: "retailer", Role.CENTRE: "centre", Role.OPS: "ops"}
CHUNK = 256 * 1024


class Attachments:
    """Photos of claims: checked and cleaned (domain/photos.py), their bytes in the store, their rows in the
    repairs database, once per request id."""

    def __init__(self, repo: AttachmentsRepository, store: AttachmentStore, clock: Callable[[], datetime]):
        self.repo, self.store, self.clock = repo, store, clock

    async def add(self, principal: Principal, rma: str, request_id: str, upload: bytes) -> AttachmentRow:
        """Raises PhotoRefused (not a photo we keep), TooManyAttachments, or InvalidArgument when the request id
        was used for another file."""
        photo = photos.clean(upload)
        digest = hashlib.sha256(photo.content).hexdigest()
        prior = await self.repo.by_request(str(principal), request_id)
        if prior is not None:
            if prior.sha256 != digest or prior.rma != rma:
                raise reused()
            return prior
        key = f"att_{secrets.token_hex(16)}"
        await self.store.put(key, photo.content)
        row = AttachmentRow(
            id=key,
            rma=rma,
            content_type=photo.content_type,
            size_bytes=len(photo.content),
            width=photo.width,
            height=photo.height,
            sha256=digest,
            storage_key=key,
            added_by=ADDED_BY[principal.role],
            added_by_principal=str(principal),
            request_id=request_id,
            created_at=self.clock(),
        )
        try:
            kept = await self.repo.add(row, photos.MAX_PER_CLAIM)
        except BaseException:
            await self.store.delete(key)
            raise
        if kept.id != key:  # a concurrent retry won
            await self.store.delete(key)
        return kept

    async def chunks(self, row: AttachmentRow) -> AsyncIterator[bytes]:
        content = await self.store.get(row.storage_key)
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]

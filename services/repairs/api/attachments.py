"""A claim's photos of the fault: added as a stream (checked and re-encoded), listed, read back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from contracts.claims import ClaimState
from lifecycle.transitions import TERMINAL
from services.kit.auth import Role, current_principal
from services.kit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, Violations
from services.kit.idempotency import check_request_id
from services.repairs import mapping
from services.repairs.access import READERS
from services.repairs.api.base import ClaimsApi
from services.repairs.domain import photos
from services.repairs.persistence.attachments import TooManyAttachments


class AttachmentsApi(ClaimsApi):
    async def AddAttachment(
        self, request_iterator: AsyncIterator[pb.AddAttachmentRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AddAttachmentResponse:
        principal = current_principal()
        principal.require(Role.PORTAL, Role.RETAILER, Role.CENTRE, Role.OPS)
        assert self.attachments is not None
        first = await anext(aiter(request_iterator), None)
        v = Violations()
        if first is None or first.WhichOneof("part") != "header":
            v.add("header", "the first message must be the header")
            v.raise_if_any()
        assert first is not None
        check_request_id(v, first.header.request_id)
        row = await self._visible(principal, first.header.rma, v)
        if ClaimState(row.state) in TERMINAL:
            raise FailedPrecondition(f"the claim is {row.state}: it takes no more photos", reason="CLAIM_CLOSED")
        upload = bytearray()
        async for part in request_iterator:
            upload += part.chunk
            if len(upload) > photos.MAX_BYTES:
                raise InvalidArgument(
                    [FieldViolation("chunk", f"the file is larger than {photos.MAX_BYTES // 1_000_000} MB")],
                    reason="TOO_LARGE",
                )
        try:
            kept = await self.attachments.add(principal, row.rma, first.header.request_id, bytes(upload))
        except photos.PhotoRefused as exc:
            raise InvalidArgument([FieldViolation("chunk", str(exc))], reason="NOT_A_PHOTO") from None
        except TooManyAttachments:
            raise FailedPrecondition(
                f"the claim has {photos.MAX_PER_CLAIM} photos already", reason="TOO_MANY_ATTACHMENTS"
            ) from None
        return pb.AddAttachmentResponse(attachment=mapping.attachment(kept))

    async def ListAttachments(
        self, request: pb.ListAttachmentsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListAttachmentsResponse:
        principal = current_principal()
        principal.require(*READERS, Role.PORTAL)
        assert self.attachments is not None
        row = await self._visible(principal, request.rma)
        rows = await self.attachments.repo.list(row.rma)
        return pb.ListAttachmentsResponse(attachments=[mapping.attachment(r) for r in rows])

    async def GetAttachment(
        self, request: pb.GetAttachmentRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.GetAttachmentResponse]:
        principal = current_principal()
        principal.require(*READERS, Role.PORTAL)
        assert self.attachments is not None
        row = await self._visible(principal, request.rma)
        found = await self.attachments.repo.get(row.rma, request.attachment_id)
        if found is None:
            raise NotFound(
                f"claim {row.rma} has no attachment {request.attachment_id[:40]}", reason="ATTACHMENT_NOT_FOUND"
            )
        yield pb.GetAttachmentResponse(attachment=mapping.attachment(found))
        async for chunk in self.attachments.chunks(found):
            yield pb.GetAttachmentResponse(chunk=chunk)

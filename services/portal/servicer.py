"""The portal's gRPC API: links for messages (the notifications service) and their revocation (ops)."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.portal.v1 import portal_pb2 as pb
from aftercare.portal.v1 import portal_pb2_grpc

from services.kit.auth import Role, current_principal
from services.kit.errors import NotFound, Unavailable, Violations
from services.kit.grants import Subject
from services.kit.idempotency import run_once
from services.kit.rpc import opening
from services.kit.timestamps import ts
from services.kit.validation import check_serial
from services.portal.access import Access
from services.portal.backends import Denied, Down, Invalid, Refused
from services.portal.domain.links import Page

_PAGES = {
    pb.PAGE_CLAIM: Page.CLAIM,
    pb.PAGE_LABEL: Page.LABEL,
    pb.PAGE_SURVEY: Page.SURVEY,
    pb.PAGE_WARRANTY: Page.WARRANTY,
    pb.PAGE_PREFERENCES: Page.PREFERENCES,
    pb.PAGE_INFO: Page.INFO,
}


def _subject(v: Violations, request: pb.CreateLinkRequest | pb.RevokeLinksRequest) -> tuple[Subject, str]:
    which = request.WhichOneof("subject")
    if which == "rma":
        rma = request.rma.strip().upper()
        if not 4 <= len(rma) <= 16 or not rma.replace("-", "").isalnum():
            v.add("rma", "is not an RMA number")
        return Subject.CLAIM, rma
    if which == "serial":
        return Subject.WARRANTY, check_serial(v, "serial", request.serial)
    v.add("subject", "is required: rma or serial")
    return Subject.CLAIM, ""


class PortalServicer(portal_pb2_grpc.PortalServiceServicer):
    def __init__(self, access: Access):
        self.access = access

    async def CreateLink(
        self, request: pb.CreateLinkRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateLinkResponse:
        current_principal().require(Role.SERVICE, Role.OPS)
        v = Violations()
        subject, ref = _subject(v, request)
        if request.page not in _PAGES and request.page != pb.PAGE_UNSPECIFIED:
            v.add("page", "is not a page")
        if len(request.locale) > 35:
            v.add("locale", "is too long")
        if len(request.time_zone) > 64:
            v.add("time_zone", "is too long")
        v.raise_if_any()
        try:
            url, unsubscribe, expires = await self.access.create_link(
                subject, ref, _PAGES.get(request.page), request.locale, request.time_zone
            )
        except (Denied, Invalid, Refused):
            raise NotFound(f"no {subject.value} {ref}", reason=f"{subject.value.upper()}_NOT_FOUND") from None
        except Down:
            raise Unavailable(
                f"the {subject.value}'s service is unavailable; retry later", reason="BACKEND_DOWN"
            ) from None
        return pb.CreateLinkResponse(url=url, unsubscribe_url=unsubscribe, expire_time=ts(expires))

    async def RevokeLinks(
        self, request: pb.RevokeLinksRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RevokeLinksResponse:
        principal, v = opening(request.request_id, Role.SERVICE, Role.OPS)
        subject, ref = _subject(v, request)
        v.raise_if_any()

        async def revoke(session: Any) -> pb.RevokeLinksResponse:
            return pb.RevokeLinksResponse(revoked_count=await self.access.revoke(session, subject, ref))

        return await run_once(
            self.access.repo.db, str(principal), request, "RevokeLinks", pb.RevokeLinksResponse, revoke
        )

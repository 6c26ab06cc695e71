"""Links for customer messages, from the portal over gRPC with this service's `service` key. Each message gets
a fresh capability link (services/portal); a portal that cannot answer now makes the delivery retry."""

from __future__ import annotations

from typing import Protocol

import grpc
from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc

from services.notifications.directory import DirectoryUnavailable, RecipientNotFound

_PAGES = {
    "claim": portal_pb2.PAGE_CLAIM,
    "label": portal_pb2.PAGE_LABEL,
    "survey": portal_pb2.PAGE_SURVEY,
    "warranty": portal_pb2.PAGE_WARRANTY,
    "preferences": portal_pb2.PAGE_PREFERENCES,
    "info": portal_pb2.PAGE_INFO,
}
_PERMANENT = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED}


class Links(Protocol):
    async def link(
        self, *, rma: str = "", serial: str = "", page: str, locale: str, zone: str = ""
    ) -> tuple[str, str]: ...


class GrpcLinks:
    def __init__(self, channel: grpc.aio.Channel, service_key: str, *, timeout: float = 5.0):
        self._channel = channel
        self._stub = portal_pb2_grpc.PortalServiceStub(channel)
        self._metadata = (("authorization", f"Bearer {service_key}"),)
        self._timeout = timeout

    async def link(self, *, rma: str = "", serial: str = "", page: str, locale: str, zone: str = "") -> tuple[str, str]:
        """The page's link and the same token's one-click unsubscribe URL."""
        request = portal_pb2.CreateLinkRequest(page=_PAGES[page], locale=locale, time_zone=zone)
        if rma:
            request.rma = rma
        else:
            request.serial = serial
        try:
            answer = await self._stub.CreateLink(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _PERMANENT:
                raise RecipientNotFound(f"the portal refused a link: {exc.code().name}") from None
            raise DirectoryUnavailable(f"the portal did not answer: {exc.code().name}") from None
        return answer.url, answer.unsubscribe_url

    async def close(self) -> None:
        await self._channel.close()

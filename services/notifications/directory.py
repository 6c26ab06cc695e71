"""Who a recipient reference is: resolved from the service that owns the data, over gRPC with this
service's `service` key (DESIGN.md: notifications resolve a recipient's contact from its owner). The contact
lives only in memory while a delivery runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from aftercare.repairs.v1 import repairs_pb2, repairs_pb2_grpc
from aftercare.warranty.v1 import warranty_pb2, warranty_pb2_grpc

from services.kit.grpc_server import TRANSIENT_CODES
from services.kit.validation import Contact


@dataclass(frozen=True)
class Addressee:
    """A customer as a message needs them: how to reach them, whose preferences apply, and what the
    message is about (for the log's filters)."""

    contact: Contact
    customer_id: str
    time_zone: str = ""  # the zone the unit was sold in (IANA name or offset): times are shown in it
    rma: str = ""
    serial: str = ""
    retailer_id: str = ""
    centre_id: str = ""


class RecipientNotFound(Exception):
    """The owner does not know the reference: nothing can be sent."""


class DirectoryUnavailable(Exception):
    """The owner could not answer now: try again later."""


class Directory(Protocol):
    async def claim_customer(self, rma: str) -> Addressee: ...

    async def warranty_owner(self, serial: str) -> Addressee: ...

    async def sold_to(self, customer_id: str, retailer_id: str) -> bool: ...


class GrpcDirectory:
    def __init__(
        self,
        repairs_channel: grpc.aio.Channel,
        warranty_channel: grpc.aio.Channel,
        service_key: str,
        *,
        timeout: float = 5.0,
    ):
        """The channels come from the wiring (kit.grpc_server.aio_channel: TLS as settings say, and the tracing
        interceptor, so the callee's span joins the caller's trace)."""
        self._metadata = (("authorization", f"Bearer {service_key}"),)
        self._timeout = timeout
        self._repairs_channel, self._warranty_channel = repairs_channel, warranty_channel
        self._repairs = repairs_pb2_grpc.RepairsServiceStub(self._repairs_channel)
        self._warranty = warranty_pb2_grpc.WarrantyServiceStub(self._warranty_channel)

    async def _ask(self, method: Callable[..., Awaitable[Any]], request: object, service: str) -> Any:
        """One guarded call: a service that does not know the recipient is RecipientNotFound, one that cannot
        answer now (or refuses the lookup) DirectoryUnavailable."""
        try:
            return await method(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise self._failure(exc, service) from None

    async def claim_customer(self, rma: str) -> Addressee:
        answer = await self._ask(self._repairs.GetClaim, repairs_pb2.GetClaimRequest(rma=rma), "repairs")
        c = answer.claim
        return Addressee(
            contact=Contact(email=c.contact.email, phone=c.contact.phone, locale=c.contact.locale),
            customer_id=c.customer_id,
            time_zone=await self._sale_zone(c.serial),
            rma=c.rma,
            serial=c.serial,
            retailer_id=c.retailer_id,
            centre_id=c.centre_id,
        )

    async def warranty_owner(self, serial: str) -> Addressee:
        answer = await self._ask(self._warranty.GetWarranty, warranty_pb2.GetWarrantyRequest(serial=serial), "warranty")
        w = answer.warranty
        o = w.owner_contact
        return Addressee(
            contact=Contact(email=o.email, phone=o.phone, locale=o.locale),
            customer_id=w.customer_id,
            time_zone=w.purchase_time_zone,
            serial=w.serial,
            retailer_id=w.retailer_id,
        )

    async def _sale_zone(self, serial: str) -> str:
        """The zone the serial was sold in; "" (UTC) when no sale is registered for it."""
        try:
            answer = await self._ask(
                self._warranty.GetWarranty, warranty_pb2.GetWarrantyRequest(serial=serial), "warranty"
            )
        except RecipientNotFound:
            return ""
        return str(answer.warranty.purchase_time_zone)

    async def sold_to(self, customer_id: str, retailer_id: str) -> bool:
        """Whether the retailer registered a sale whose current owner is this customer."""
        request = warranty_pb2.ListWarrantiesRequest(customer_id=customer_id, retailer_id=retailer_id, page_size=1)
        answer = await self._ask(self._warranty.ListWarranties, request, "warranty")
        return len(answer.warranties) > 0

    @staticmethod
    def _failure(exc: grpc.aio.AioRpcError, service: str) -> Exception:
        if exc.code() in TRANSIENT_CODES:
            return DirectoryUnavailable(f"{service} answered {exc.code().name}")
        if exc.code() is grpc.StatusCode.NOT_FOUND:
            return RecipientNotFound(f"{service} does not know the recipient")
        return DirectoryUnavailable(f"{service} refused the lookup: {exc.code().name}")

    async def close(self) -> None:
        await self._repairs_channel.close()
        await self._warranty_channel.close()

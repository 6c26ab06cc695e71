"""Registering a sale from a claim's approved receipt: the repairs service holds the receipt and the contact,
the warranty service owns sales; this asks it over gRPC with the `service` principal's key (DESIGN.md: a
synchronous answer is needed, and the contact must not travel through a workflow)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2, warranty_pb2_grpc
from google.protobuf import json_format

from services.kit.grpc_server import TRANSIENT_CODES
from services.repairs.persistence.tables import ClaimRow


class ReceiptRefused(Exception):
    """The warranty service will not register this receipt's sale (e.g. an unknown product): final."""


class WarrantyUnavailable(Exception):
    """The warranty service could not answer now: try again."""


@dataclass(frozen=True)
class Registered:
    serial: str
    already_registered: bool


def receipt_of(row: ClaimRow) -> rpb.ProofOfPurchase | None:
    if not row.receipt:
        return None
    return json_format.Parse(row.receipt, rpb.ProofOfPurchase())


class WarrantySales:
    def __init__(self, channel: grpc.aio.Channel, service_key: str, timeout: float = 10.0):
        self._channel = channel
        self._stub = warranty_pb2_grpc.WarrantyServiceStub(channel)
        self._metadata = (("authorization", f"Bearer {service_key}"),)
        self._timeout = timeout

    async def register(self, row: ClaimRow) -> Registered:
        """Register the claim's unit as sold on its receipt (idempotent by the claim's RMA)."""
        receipt = receipt_of(row)
        if receipt is None:
            raise ReceiptRefused("the claim has no receipt")
        request = warranty_pb2.RegisterSaleRequest(
            request_id=f"receipt-{row.rma}",
            serial=row.serial,
            sku=receipt.sku,
            purchase_time=receipt.purchase_time,
            sale_reference=receipt.sale_reference or row.rma,
            retailer_id=receipt.retailer_id,
            contact=warranty_pb2.Contact(email=row.email, phone=row.phone, locale=row.locale),
        )
        try:
            answer = await self._stub.RegisterSale(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.ALREADY_EXISTS:
                return Registered(row.serial, already_registered=True)
            if exc.code() in TRANSIENT_CODES:
                raise WarrantyUnavailable(exc.code().name) from None
            raise ReceiptRefused(f"{exc.code().name}: {exc.details() or ''}"[:300]) from None
        return Registered(answer.warranty.serial, already_registered=False)

    async def close(self) -> None:
        await self._channel.close()

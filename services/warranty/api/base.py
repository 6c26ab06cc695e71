"""The base of the warranty API's parts (servicer.py puts them together)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aftercare.warranty.v1 import warranty_pb2_grpc

from services.kit import grants
from services.kit.auth import Principal, Role
from services.kit.batching import GroupCommitter
from services.kit.errors import NotFound, Violations
from services.kit.grants import Purpose, Subject
from services.kit.validation import check_serial
from services.warranty.persistence.repository import WarrantyRepository
from services.warranty.persistence.sales import NewSale, SaleOutcome
from services.warranty.persistence.tables import WarrantyRow

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


READERS = (Role.RETAILER, Role.OPS, Role.SERVICE)


class WarrantyApi(warranty_pb2_grpc.WarrantyServiceServicer):
    """What every part of the warranty API shares: its dependencies and the warranty a caller may see."""

    def __init__(
        self,
        repo: WarrantyRepository,
        sales: GroupCommitter[NewSale, SaleOutcome],
        customer_key: bytes,
        clock: Clock = _utcnow,
    ):
        self.repo = repo
        self.sales = sales
        self.customer_key = customer_key
        self.clock = clock

    async def _visible(
        self,
        principal: Principal,
        raw_serial: str,
        row: WarrantyRow | None = None,
    ) -> WarrantyRow:
        """The warranty if this caller may see it. Another retailer's serial reads as unknown."""
        v = Violations()
        serial = check_serial(v, "serial", raw_serial)
        v.raise_if_any()
        if row is None:
            row = await self.repo.get(serial)
        hidden = (principal.role is Role.RETAILER and row is not None and row.retailer_id != principal.id) or (
            principal.role is Role.PORTAL and not grants.grants(Subject.WARRANTY, serial, Purpose.WARRANTY)
        )
        if row is None or hidden:
            raise NotFound(f"no warranty for serial {serial}", reason="WARRANTY_NOT_FOUND")
        return row

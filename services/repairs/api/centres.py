"""Service centres: created by ops, listed with their open claims."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from services.kit import pagination
from services.kit.auth import Role, current_principal
from services.kit.errors import Violations
from services.kit.idempotency import run_once
from services.kit.rpc import opening
from services.repairs import mapping
from services.repairs.api.base import ClaimsApi
from services.repairs.domain.centres import check_centre, check_region
from services.repairs.persistence.repository import centre_of


class CentresApi(ClaimsApi):
    async def CreateServiceCentre(
        self, request: pb.CreateServiceCentreRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateServiceCentreResponse:
        principal, v = opening(request.request_id, Role.OPS)
        c = request.centre
        centre = check_centre(
            v,
            id=c.id,
            display_name=c.display_name,
            region=c.region,
            categories=c.categories,
            daily_capacity=c.daily_capacity,
        )
        v.raise_if_any()
        now = self.clock()

        async def create(session: Any) -> pb.CreateServiceCentreResponse:
            row = await self.repo.create_centre(session, centre, now)
            return pb.CreateServiceCentreResponse(
                centre=mapping.centre(centre, open_claims=0, created_at=row.created_at)
            )

        return await run_once(
            self.repo.db, str(principal), request, "CreateServiceCentre", pb.CreateServiceCentreResponse, create
        )

    async def ListServiceCentres(
        self, request: pb.ListServiceCentresRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListServiceCentresResponse:
        current_principal().require(Role.OPS, Role.SERVICE, Role.CENTRE)
        v = Violations()
        region = check_region(v, "region", request.region) if request.region else None
        v.raise_if_any()
        filters = {"region": region}
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters,
            lambda after, limit: self.repo.centres(region=region, after_id=after, limit=limit),
            lambda row: row.id,
        )
        counts = await self.repo.open_claims([r.id for r in page.items])
        return pb.ListServiceCentresResponse(
            centres=[
                mapping.centre(centre_of(r), open_claims=counts.get(r.id, 0), created_at=r.created_at)
                for r in page.items
            ],
            next_page_token=page.next_page_token,
        )

"""Review: ops approve, reject or ask the customer for information; the customer answers; the risk rules'
report."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from contracts.claims import ClaimState, InfoNeeded, InformationAnswer, InformationRequest, ReviewDecision, Update
from lifecycle.review import RejectionReason, rules_report
from services.kit.auth import Role, current_principal
from services.kit.errors import Violations
from services.kit.rpc import opening
from services.kit.timestamps import checked
from services.kit.validation import check_text, enum_name
from services.repairs import mapping
from services.repairs.access import CUSTOMER_ACTIONS, actor_of
from services.repairs.api.base import ClaimsApi


class ReviewApi(ClaimsApi):
    async def ApproveClaim(
        self, request: pb.ApproveClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ApproveClaimResponse:
        principal, v = opening(request.request_id, Role.OPS)
        note = check_text(v, "note", request.note, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = ReviewDecision(approve=True, note=note)
        return await self._act(principal, row, request, pb.ApproveClaimResponse, Update.REVIEW, arg)

    async def RejectClaim(
        self, request: pb.RejectClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RejectClaimResponse:
        principal, v = opening(request.request_id, Role.OPS)
        reason = enum_name(v, "reason", pb.RejectionReason, request.reason, "REJECTION_REASON_")
        if reason is None and request.reason == 0:
            v.add("reason", f"is required: one of {', '.join(r.value for r in RejectionReason)}")
        note = check_text(v, "note", request.note, min_len=3 if reason == RejectionReason.OTHER else 0, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = ReviewDecision(approve=False, reason_code=reason or "", note=note)
        return await self._act(principal, row, request, pb.RejectClaimResponse, Update.REVIEW, arg)

    async def RequestInformation(
        self, request: pb.RequestInformationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RequestInformationResponse:
        principal, v = opening(request.request_id, Role.OPS)
        needed = [enum_name(v, "needed", pb.InformationNeeded, n, "INFORMATION_NEEDED_") for n in request.needed]
        if not request.needed or 0 in request.needed:
            v.add("needed", f"name at least one of {', '.join(InfoNeeded)}, and no unset value")
        row = await self._visible(principal, request.rma, v)
        arg = InformationRequest(needed=[InfoNeeded(n) for n in needed if n])
        return await self._act(principal, row, request, pb.RequestInformationResponse, Update.REQUEST_INFO, arg)

    async def AnswerInformationRequest(
        self, request: pb.AnswerInformationRequestRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AnswerInformationRequestResponse:
        principal, v = opening(request.request_id, *CUSTOMER_ACTIONS)
        text = check_text(v, "text", request.text, max_len=2000)
        row = await self._visible(principal, request.rma, v)
        status = mapping.status_of(row)
        photos_since = 0
        if self.attachments is not None and status.state is ClaimState.AWAITING_CUSTOMER_INFO and status.state_since:
            since = status.state_since
            photos_since = sum(1 for a in await self.attachments.repo.list(row.rma) if a.created_at >= since)
        arg = InformationAnswer(attachments=photos_since, with_text=bool(text))
        response = await self._act(
            principal, row, request, pb.AnswerInformationRequestResponse, Update.ANSWER_INFO, arg
        )
        if text:
            key = f"{principal}/{request.request_id}"
            await self.repo.save_answer(row.rma, key, text, actor_of(principal, row), self.clock())
        return response

    async def ReportRiskRules(
        self, request: pb.ReportRiskRulesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReportRiskRulesResponse:
        current_principal().require(Role.OPS)
        v = Violations()
        since = checked(v, "start_time", request.start_time) if request.HasField("start_time") else None
        v.raise_if_any()
        filed, rows = await self.repo.flagged_since(since or self.clock() - timedelta(days=90))
        figures = rules_report([(mapping.status_of(row).risk_flags, ClaimState(row.state)) for row in rows])
        return pb.ReportRiskRulesResponse(
            claims=filed,
            rules=[pb.RiskRuleFigures(**asdict(f)) for f in figures],
        )

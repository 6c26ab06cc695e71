"""The base of the repairs API's parts (servicer.py puts them together)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.repairs.v1 import repairs_pb2_grpc
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from contracts.claims import Acted, ClaimState, Update
from contracts.repairs import UpdateAnswer
from lifecycle.transitions import TERMINAL
from services.kit.auth import Principal, Role
from services.kit.db import is_unique_violation
from services.kit.errors import FailedPrecondition, NotFound, Violations
from services.kit.idempotency import fingerprint, recall, remember_in
from services.repairs import mapping
from services.repairs.access import actor_of, as_seen_by, can_see
from services.repairs.attachments import Attachments
from services.repairs.domain.rma import canonical_rma
from services.repairs.persistence.repository import RepairsRepository
from services.repairs.persistence.tables import ClaimEventRow, ClaimRow
from services.repairs.workflow_client import ClaimWorkflows, WorkflowGone

Clock = Callable[[], datetime]
R = TypeVar(
    "R",
    pb.UpdateRepairStatusResponse,
    pb.RecordDiagnosisResponse,
    pb.DecideQuoteResponse,
    pb.RecordShipmentEventResponse,
    pb.CancelClaimResponse,
    pb.ReassignClaimResponse,
    pb.SubmitFeedbackResponse,
    pb.ApproveClaimResponse,
    pb.RejectClaimResponse,
    pb.RequestInformationResponse,
    pb.AnswerInformationRequestResponse,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_rma(v: Violations, raw: str) -> str:
    try:
        return canonical_rma(raw)
    except ValueError as exc:
        v.add("rma", str(exc))
        return ""


class ClaimsApi(repairs_pb2_grpc.RepairsServiceServicer):
    """What every part of the repairs API shares: its dependencies, the claim a caller may see, the claim as
    they may read it, and how an action becomes a workflow update answered once per request id."""

    def __init__(
        self,
        repo: RepairsRepository,
        workflows: ClaimWorkflows,
        clock: Clock = _utcnow,
        attachments: Attachments | None = None,
    ):
        self.repo = repo
        self.workflows = workflows
        self.clock = clock
        self.attachments = attachments

    async def _visible(self, principal: Principal, raw_rma: str, v: Violations | None = None) -> ClaimRow:
        """The claim if this caller may see it; another party's claim reads as unknown."""
        v = v or Violations()
        rma = check_rma(v, raw_rma)
        v.raise_if_any()
        row = await self.repo.claim(rma)
        if row is None or not can_see(principal, row):
            raise NotFound(f"no claim {rma}", reason="CLAIM_NOT_FOUND")
        return row

    async def _claim(self, principal: Principal, rma: str, *, timeline: bool = True) -> pb.Claim:
        row = await self.repo.claim(rma)
        assert row is not None
        return self._seen(principal, row, await self.repo.timeline(rma) if timeline else None)

    def _seen(self, principal: Principal, row: ClaimRow, events: list[ClaimEventRow] | None) -> pb.Claim:
        """The claim as this caller may read it (its timeline too, unless `events` is None)."""
        claim = mapping.claim(row, events, with_contact=principal.role is Role.SERVICE)
        if principal.role is Role.OPS and events is not None:
            claim.feedback_comment = row.feedback_comment
        return as_seen_by(principal, claim)

    async def _act(
        self, principal: Principal, row: ClaimRow, request: Any, response_type: type[R], update: Update, arg: BaseModel
    ) -> R:
        """Send the update once per request_id and answer with the claim as recorded. A retry gets the
        first answer (from the request log, or from Temporal's update-id dedupe if the log missed it)."""
        method = type(request).__name__.removesuffix("Request")
        digest = fingerprint(method, request)
        scope = str(principal)
        prior = await recall(self.repo.db, scope, request.request_id, digest)
        if prior is not None:
            return response_type.FromString(prior)
        if isinstance(arg, Acted):
            arg = arg.model_copy(update={"actor": actor_of(principal, row)})
        try:
            answer = await self.workflows.update(row.rma, update, arg, update_id=f"{scope}/{request.request_id}")
        except WorkflowGone:
            current = await self.repo.claim(row.rma)
            state = current.state if current else row.state
            if ClaimState(state) in TERMINAL:
                raise FailedPrecondition(
                    f"the claim is {state}: it takes no more changes",
                    reason="ILLEGAL_TRANSITION",
                    metadata={"state": state},
                ) from None
            raise
        return await self._answered(principal, answer, response_type, (scope, request.request_id, digest))

    async def _answered(
        self, principal: Principal, answer: UpdateAnswer, response_type: type[R], logged: tuple[str, str, str]
    ) -> R:
        """Write the update's changes and the request log's answer in one commit, and answer with the claim as
        written. A concurrent writer of the same change (the workflow writing behind) may insert it first: the
        commit is then tried once more, and finds it written."""
        for attempt in (1, 2):
            try:
                async with self.repo.db.write() as session:
                    for record in answer.records:
                        await self.repo.record_in(session, record)
                    row, events = await self.repo.read_in(session, answer.rma)
                    response = response_type(claim=self._seen(principal, row, events))
                    await remember_in(session, *logged, response.SerializeToString())
                return response
            except IntegrityError as exc:
                if attempt == 2 or not is_unique_violation(exc):
                    raise
        raise AssertionError("unreachable")

    async def _write(self, answer: UpdateAnswer) -> None:
        """Write the changes an update hands back before answering, so that its caller, and anyone after, reads
        them: the workflow writes them too, behind the update (idempotent by (rma, seq))."""
        for record in answer.records:
            await self.repo.record(record)

"""How the repairs API talks to claim workflows: Update-with-Start for intake, an update for every action,
and the workflows' own refusals as domain errors the server maps to statuses (never UNKNOWN)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contracts import queues
from contracts.claims import WORKFLOW, ClaimInput, ClaimStatus, Refusal, Update, claim_workflow_id
from contracts.repairs import UpdateAnswer
from services.kit.errors import (
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from services.kit.temporal import LazyClient

T = TypeVar("T")

# The workflow's refusals of bad input, and the field each names.
_INVALID_FIELDS = {
    Refusal.INVALID_STATUS: "status",
    Refusal.INVALID_DIAGNOSIS: "diagnosis",
    Refusal.INVALID_CENTRE: "centre_id",
    Refusal.INVALID_SCORE: "score",
    Refusal.NOTHING_REQUESTED: "text",  # an answer with neither a text nor a photo added since the request
}


class WorkflowGone(NotFound):
    """The claim's workflow has completed (or never started); the caller decides what that means."""


def refusal(exc: BaseException) -> DomainError:
    """A workflow's or Temporal's refusal as the domain error to answer with."""
    if isinstance(exc, WorkflowUpdateFailedError) and isinstance(exc.cause, ApplicationError):
        return _validator_refusal(exc.cause)
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return Unavailable("the claim did not answer in time; retry with the same request_id", reason="TIMEOUT")
    if isinstance(exc, RPCError) and (gone := _temporal_refusal(exc)) is not None:
        return gone
    if isinstance(exc, DomainError):
        return exc
    return DomainError("internal error")


def _validator_refusal(cause: ApplicationError) -> DomainError:
    """What an update's validator (or handler) refused, by its Refusal type."""
    kind, message = cause.type or "", cause.message
    if kind == Refusal.ILLEGAL_TRANSITION:
        where = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        return FailedPrecondition(
            message,  # names the event and the state, e.g. "READY_TO_SHIP is not allowed while ... REPAIRING"
            reason="ILLEGAL_TRANSITION",
            metadata={"state": str(where.get("state", "")), "event": str(where.get("event", ""))},
        )
    if kind == Refusal.NOT_ASSIGNED:
        return PermissionDenied(message, reason="NOT_ASSIGNED")
    if kind == Refusal.UNKNOWN_PARCEL:
        return NotFound(message, reason="UNKNOWN_PARCEL")
    if kind in _INVALID_FIELDS:
        return InvalidArgument([FieldViolation(_INVALID_FIELDS[Refusal(kind)], message)], reason=kind)
    return FailedPrecondition(message, reason=kind or "REFUSED")  # FEEDBACK_ALREADY_GIVEN, REPLACEMENT_REFUSED, ...


def _temporal_refusal(exc: RPCError) -> DomainError | None:
    """Temporal's own refusal: the workflow is gone, or the engine cannot answer now (None: anything else)."""
    if exc.status is RPCStatusCode.NOT_FOUND:
        return WorkflowGone("the claim's workflow is not running", reason="WORKFLOW_NOT_RUNNING")
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unavailable("the workflow engine is unavailable; retry later", reason="TEMPORAL_UNAVAILABLE")
    if exc.status is RPCStatusCode.RESOURCE_EXHAUSTED:
        return Unavailable("the workflow engine is busy; retry later", reason="TEMPORAL_BUSY")
    return None


class ClaimWorkflows:
    """Claim workflow calls through a lazily connected client (the API serves reads while Temporal is down)."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]):
        self._client = LazyClient(connect)

    async def client(self) -> Client:
        return await self._client.get()

    async def file(self, claim: ClaimInput, update_id: str) -> UpdateAnswer:
        """Start the claim's workflow (or join it, if a retry) and wait for its entitlement decision."""
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW,
            claim,
            id=claim_workflow_id(claim.rma),
            task_queue=queues.CLAIMS,
            result_type=ClaimStatus,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,  # a closed claim is never restarted
            static_summary=f"Claim {claim.rma} · serial {claim.serial}",  # the UI's title; its details follow the state
        )
        client = await self.client()
        result: UpdateAnswer = await _mapped(
            client.execute_update_with_start_workflow(
                Update.FILE, start_workflow_operation=start, id=update_id, result_type=UpdateAnswer
            )
        )
        return result

    async def update(self, rma: str, update: Update, arg: BaseModel, update_id: str) -> UpdateAnswer:
        """Send one of the claim workflow's updates with the caller's idempotency key as its id."""
        handle = (await self.client()).get_workflow_handle(claim_workflow_id(rma))
        result: UpdateAnswer = await _mapped(handle.execute_update(update, arg, id=update_id, result_type=UpdateAnswer))
        return result


async def _mapped(call: Awaitable[T]) -> T:
    try:
        return await call
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
        raise refusal(exc) from exc

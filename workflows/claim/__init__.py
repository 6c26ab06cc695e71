"""The claim workflow (`ClaimWorkflow`, id `claim-<RMA>`), one module per concept: see workflow.py."""

from workflows.claim.calls import NOTIFY_PATCH, REVIEW_PATCH, SYSTEM, WRITE_BEHIND_PATCH
from workflows.claim.handled import HANDLED_KEPT
from workflows.claim.workflow import ClaimWorkflow

__all__ = ["HANDLED_KEPT", "NOTIFY_PATCH", "REVIEW_PATCH", "SYSTEM", "WRITE_BEHIND_PATCH", "ClaimWorkflow"]

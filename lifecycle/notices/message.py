"""One notice as the notifications service takes it, keyed by the change that sent it."""

from __future__ import annotations

from contracts.claims import ClaimStatus, claim_workflow_id
from contracts.notifications import NotificationRequest


def message(s: ClaimStatus, template: str, recipient: str, variables: dict[str, str]) -> NotificationRequest:
    """`template` to `recipient` about claim `s`, keyed `claim-<RMA>/<seq>/<template>`: sent once per change."""
    return NotificationRequest(
        key=f"{claim_workflow_id(s.rma)}/{s.seq}/{template}",
        template=template,
        recipient=recipient,
        variables=variables,
        rma=s.rma,
        serial=s.serial,
        retailer_id=s.retailer_id,
        centre_id=s.centre_id,
    )

"""What the notifications service offers workflows: the activity's name, its input and its answer, and the
NotifyWorkflow the service starts for SendNotification. Pure pydantic. No personal data: recipients are
references."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

SEND_NOTIFICATION = "notifications.send_notification"
NOTIFY_WORKFLOW = "NotifyWorkflow"  # one message asked for through the API: SendNotification


def notify_workflow_id(key: str) -> str:
    """The NotifyWorkflow id for a business key: the same key, the same workflow."""
    return "notify-" + hashlib.sha256(key.encode()).hexdigest()[:32]


class NotificationRequest(BaseModel):
    """Send `template` to `recipient` once per `key` and channel, however often this is asked."""

    key: str  # the business key, e.g. "claim-RMA-7KQM-X3TD/3/device_received"
    template: str
    recipient: str  # "claim:<RMA>", "warranty:<serial>", "retailer:<id>" or "ops"
    variables: dict[str, str] = Field(default_factory=dict)
    rma: str = ""
    serial: str = ""
    retailer_id: str = ""
    centre_id: str = ""


class DeliveryReport(BaseModel):
    """The deliveries under the key, by state (after this attempt)."""

    sent: int = 0
    suppressed: int = 0
    failed: int = 0

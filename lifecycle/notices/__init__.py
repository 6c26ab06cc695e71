"""What a claim's change tells whom: the customer's messages, the ops alerts and the retailer's webhook, one
module per audience. Pure: the claim workflow calls `notices` after each recorded change and sends what it
returns, in this order (customer, ops, retailer: the order running histories recorded).

Each message's business key is `claim-<RMA>/<seq>/<template>`: the change's sequence number makes it
unique per claim and the same on every replay or retry, so the notifications service sends it once."""

from __future__ import annotations

from contracts.claims import ClaimState, ClaimStatus
from contracts.notifications import NotificationRequest
from lifecycle.notices.customer import ON_ENTRY, ON_NOTE, for_customer
from lifecycle.notices.ops import for_ops
from lifecycle.notices.retailer import for_retailer

__all__ = ["ON_ENTRY", "ON_NOTE", "notices"]


def notices(kind: str, previous: ClaimState, status: ClaimStatus) -> list[NotificationRequest]:
    """The messages a recorded change (`kind`: an event or a note) sends, given the state before it."""
    return [*for_customer(kind, previous, status), *for_ops(kind, status), *for_retailer(kind, previous, status)]

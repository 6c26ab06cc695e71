"""The notifications service's own metrics."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "aftercare_notification_deliveries",
    "Notification delivery attempts, by channel and outcome.",
    ["channel", "outcome"],
)

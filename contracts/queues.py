"""Every Temporal task queue, by the process that polls it."""

from __future__ import annotations

CLAIMS = "claims"  # the claims worker: workflows only
WARRANTY = "warranty"  # the warranty service's activities
REPAIRS = "repairs"  # the repairs service's activities
NOTIFICATIONS = "notifications"  # the notifications service's activities

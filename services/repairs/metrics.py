"""The repairs service's own metrics: claims per state, from its read model."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge

from contracts.claims import ClaimState
from services.repairs.persistence.repository import RepairsRepository

log = logging.getLogger("aftercare.repairs")
CLAIMS = Gauge("aftercare_claims", "Claims by state (the repairs read model, refreshed every 15 s).", ["state"])


async def count_claims(repo: RepairsRepository, every: float = 15.0) -> None:
    """Keep the claims-per-state gauge current (every state is shown, 0 when none)."""
    while True:
        try:
            counts = await repo.count_by_state()
            for state in ClaimState:
                CLAIMS.labels(state.value).set(counts.get(state.value, 0))
        except Exception:
            log.warning("claim counts unavailable", exc_info=True)
        await asyncio.sleep(every)

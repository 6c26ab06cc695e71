"""Looks up a serial's warranty and policy and applies the pure entitlement rules (domain/entitlement.py) to
them: the one place the API and the activity both ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.warranty.domain.entitlement import Entitlement, decide
from services.warranty.domain.products import Policy
from services.warranty.persistence.repository import WarrantyRepository, terms_of
from services.warranty.persistence.tables import WarrantyRow


@dataclass(frozen=True)
class Checked:
    row: WarrantyRow
    entitlement: Entitlement
    policy: Policy


async def lookup(repo: WarrantyRepository, serial: str, incident_at: datetime, fault: str | None) -> Checked | None:
    row = await repo.get(serial)
    if row is None:
        return None
    policy = await repo.policy(row.sku, row.policy_version)
    return Checked(row, decide(terms_of(row, policy), incident_at, fault), policy)

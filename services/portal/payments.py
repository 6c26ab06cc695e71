"""Taking the customer's money for an extended plan. The portal speaks to a payment provider through
`PaymentProvider`; a real checkout (a hosted payment page, then its confirmation) implements the same two
steps. The default is `FakeProvider`, which never moves money: for local runs, the demo and the tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    """A payment taken: the provider's reference, which the plan is bought under."""

    reference: str


class PaymentDeclined(Exception):
    """The provider refused the payment (the customer may try again)."""


class PaymentProvider(Protocol):
    async def charge(self, *, amount_minor: int, currency: str, idempotency_key: str, description: str) -> Charge:
        """Take the amount once per idempotency key (a retry returns the first charge). Raises PaymentDeclined."""
        ...


class FakeProvider:
    """Accepts every payment, at once and once per key, and moves no money. Its references start with "fake_"
    so no one mistakes them for real ones."""

    async def charge(self, *, amount_minor: int, currency: str, idempotency_key: str, description: str) -> Charge:
        if amount_minor <= 0:
            raise PaymentDeclined("nothing to charge")
        digest = hashlib.sha256(f"{idempotency_key}/{amount_minor}/{currency}".encode()).hexdigest()
        return Charge(reference=f"fake_{digest[:24]}")


def provider(name: str) -> PaymentProvider:
    if name == "fake":
        return FakeProvider()
    raise ValueError(f"unknown payment provider {name!r} (this build has: fake)")

"""API keys and principals.

A key arrives as `authorization: Bearer <key>` and maps to a principal: `retailer:<id>`, `centre:<id>`,
`carrier:<id>`, `ops`, `service` or `portal` (the customer portal, which acts only on what a customer's link
grants: services/kit/grants.py). Keys come from configuration (`AFTERCARE_API_KEYS`, or the JSON file
`AFTERCARE_API_KEYS_FILE`); `make run` generates dev keys under var/ on first start (devtools/keys.py)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from services.kit.errors import PermissionDenied, Unauthenticated


class Role(StrEnum):
    RETAILER = "retailer"
    CENTRE = "centre"
    CARRIER = "carrier"
    OPS = "ops"
    SERVICE = "service"
    PORTAL = "portal"


# `ops:<operator>` names the person behind an ops key: the timeline says who approved, rejected or asked. The
# shared `ops` key stays (the dev setup, scripts); both are Role.OPS.
_PRINCIPAL = re.compile(r"^(?:(retailer|centre|carrier|ops):([a-z0-9][a-z0-9-]{0,62})|(ops|service|portal))$")


@dataclass(frozen=True)
class Principal:
    role: Role
    id: str = ""  # the retailer's, centre's or carrier's id, the operator's for a named ops key; else empty

    @classmethod
    def parse(cls, text: str) -> Principal:
        match = _PRINCIPAL.match(text)
        if not match:
            raise ValueError(
                f"not a principal: {text!r} (want retailer:<id>, centre:<id>, carrier:<id>, ops:<operator> or the "
                "shared ops, service or portal; an id is 1 to 63 of a-z, 0-9 and '-')"
            )
        if match.group(3):
            return cls(Role(match.group(3)))
        return cls(Role(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.role}:{self.id}" if self.id else str(self.role)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(str(r) for r in roles))
            raise PermissionDenied(f"this call is for {allowed}", reason="ROLE_NOT_ALLOWED")


_current: ContextVar[Principal] = ContextVar("aftercare_principal")


def current_principal() -> Principal:
    """The caller of the RPC being served (set by the server's interceptor)."""
    return _current.get()


def set_principal(principal: Principal) -> None:
    _current.set(principal)


def key_digest(key: str) -> bytes:
    """What a key is held as (and, for the portal's key, what its grants are signed with)."""
    return hashlib.sha256(key.encode()).digest()


class KeyStore:
    """Maps API keys to principals. Only digests are held, and lookup is by digest."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._by_digest = {key_digest(key): Principal.parse(name) for name, key in pairs if key}

    @classmethod
    def from_config(cls, env_value: str, file: Path | None) -> KeyStore:
        pairs: list[tuple[str, str]] = []
        if file is not None and file.exists():
            pairs += list(json.loads(file.read_text()).items())
        for item in filter(None, (part.strip() for part in env_value.split(","))):
            name, _, key = item.partition("=")
            pairs.append((name.strip(), key.strip()))
        return cls(pairs)

    def __len__(self) -> int:
        return len(self._by_digest)

    def authenticate(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal:
        return self.identify(metadata)[0]

    def identify(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> tuple[Principal, bytes]:
        """The caller and the digest of the key it presented (the portal's grants are signed with it)."""
        header = next((v for k, v in metadata or () if k == "authorization"), None)
        if header is None:
            raise Unauthenticated("missing 'authorization: Bearer <api key>' metadata", reason="MISSING_API_KEY")
        scheme, _, key = (header.decode() if isinstance(header, bytes) else header).partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("authorization must be 'Bearer <api key>'", reason="MALFORMED_API_KEY")
        digest = key_digest(key.strip())
        principal = self._by_digest.get(digest)
        if principal is None:
            raise Unauthenticated("unknown API key", reason="UNKNOWN_API_KEY")
        return principal, digest

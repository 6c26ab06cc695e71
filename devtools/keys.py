"""Dev API keys: one per demo principal, made on first start in var/api-keys.json (mode 0600)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from services.kit.auth import Principal

DEV_PRINCIPALS = (
    "ops",
    "ops:demo-operator",  # a named operator: the timeline shows who acted
    "service",
    "retailer:demo-retailer",
    "retailer:other-retailer",
    "centre:demo-centre",
    "centre:other-centre",
    "carrier:local",
    "portal",
)


def ensure_dev_keys(file: Path, principals: Iterable[str] = DEV_PRINCIPALS) -> Mapping[str, str]:
    """Create the dev key file on first start (mode 0600), add principals it lacks, and return its keys."""
    keys: dict[str, str] = dict(json.loads(file.read_text())) if file.exists() else {}
    missing = [name for name in principals if name not in keys]
    if not missing:
        return keys
    keys |= {name: f"ak_{Principal.parse(name).role}_{secrets.token_urlsafe(24)}" for name in missing}
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".tmp")
    tmp.write_text(json.dumps(keys, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(file)
    return keys

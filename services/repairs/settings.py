"""The repairs service's own settings, beside what every process reads."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field

from services.kit.settings import Settings
from services.repairs.domain.risk import BadRules, RuleSet, rules_from


class RepairsSettings(Settings):
    carrier: str = Field("local", description="Carrier adapter that issues shipping labels.")
    attachments_dir: Path | None = Field(
        None,
        description="Where claim photos are kept; default var/attachments. Replicas must share it (a shared "
        "volume), or implement AttachmentStore for an object store (services/repairs/attachments.py).",
    )
    warranty_target: str = Field(
        "127.0.0.1:50051", description="Warranty gRPC address (registering a sale from an approved receipt)."
    )
    risk_rules: Path | None = Field(
        None,
        description="TOML file of the risk rules' modes (enforce, shadow, off), versions and numbers, and the "
        "block and allow lists (docs/review.md); default: the built-in rules.",
    )

    def rule_set(self) -> RuleSet:
        """The risk rules this process judges claims by; a file that is wrong stops the process at start."""
        if self.risk_rules is None:
            return RuleSet()
        try:
            return rules_from(tomllib.loads(self.risk_rules.read_text()))
        except (OSError, tomllib.TOMLDecodeError, BadRules) as exc:
            raise SystemExit(f"AFTERCARE_RISK_RULES ({self.risk_rules}): {exc}") from None

"""The repairs service's own settings, beside what every process reads."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kit.settings import Settings


class RepairsSettings(Settings):
    carrier: str = Field("local", description="Carrier adapter that issues shipping labels.")
    attachments_dir: Path | None = Field(
        None,
        description="Where claim photos are kept; default var/attachments. Replicas must share it (a shared "
        "volume), or implement AttachmentStore for an object store (services/repairs/attachments.py).",
    )

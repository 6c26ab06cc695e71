"""The repairs service's own settings, beside what every process reads."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import Settings


class RepairsSettings(Settings):
    carrier: str = Field("local", description="Carrier adapter that issues shipping labels.")

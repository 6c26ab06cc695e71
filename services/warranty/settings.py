"""The warranty service's own settings, beside what every process reads."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr

from services.kit.settings import Settings


class WarrantySettings(Settings):
    customer_id_key: SecretStr = Field(
        SecretStr(""), description="Secret that derives opaque customer ids; default: var file."
    )

    def customer_key(self) -> bytes:
        """The secret behind opaque customer ids: configured, or generated once under var/ for local runs."""
        if key := self.customer_id_key.get_secret_value():
            return key.encode()
        path = self.var_dir / "customer-id.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

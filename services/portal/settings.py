"""The portal's own settings, beside what every process reads."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.kit.settings import Settings


class PortalSettings(Settings):
    http_host: str = Field("127.0.0.1", description="Interface the web server binds; 0.0.0.0 in containers.")
    http_port: int = Field(8080, description="Web port (0: any free).")
    public_url: str = Field(
        "http://localhost:8080", description="The portal's address as customers reach it: the base of every link."
    )
    link_days: int = Field(60, description="How long a message's link works (it stops earlier when the claim ends).")
    closed_grace_days: int = Field(30, description="How long a claim's links keep working after it ended.")
    session_minutes: int = Field(60, description="How long a browser stays signed in after opening a link.")
    trust_forwarded_for: bool = Field(
        False,
        description="Take the client address from X-Forwarded-For (only behind a proxy that sets it: otherwise a "
        "client could name any address and dodge the per-client limits).",
    )
    repairs_target: str = Field("127.0.0.1:50052", description="Repairs gRPC address (claims).")
    warranty_target: str = Field("127.0.0.1:50051", description="Warranty gRPC address (warranties, plans).")
    notifications_target: str = Field(
        "127.0.0.1:50053", description="Notifications gRPC address (preferences, one-time codes)."
    )
    portal_api_key: SecretStr = Field(
        SecretStr(""), description="This service's `portal` key for the other services' APIs."
    )
    payment_provider: str = Field(
        "fake", description="Who takes plan payments: 'fake' (moves no money; local runs and tests) or an adapter."
    )
    max_form_bytes: int = Field(64 * 1024, description="Largest form body accepted (uploads have their own limit).")

    def own_portal_key(self) -> str:
        """The `portal` principal's key: AFTERCARE_PORTAL_API_KEY, else the key file's "portal" entry."""
        return self.portal_api_key.get_secret_value() or self.key_from_file("portal")

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure when customers reach the portal over HTTPS."""
        return self.public_url.startswith("https://")

"""The notifications service's own settings, beside what every process reads."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.kit.settings import Settings


class NotificationsSettings(Settings):
    smtp_host: str = Field("127.0.0.1", description="SMTP server for e-mail (make run starts a sink on 1025).")
    smtp_port: int = Field(1025, description="SMTP port.")
    smtp_username: str = Field("", description="SMTP user; with it, STARTTLS is used when offered.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    smtp_sender: str = Field("Aftercare <no-reply@aftercare.local>", description="From: of every e-mail.")
    sms_url: str = Field("http://127.0.0.1:8025/sms", description="SMS provider: POST {to, body, client_reference}.")
    sms_token: SecretStr = Field(SecretStr(""), description="Bearer token for the SMS provider.")
    provider_timeout_seconds: float = Field(10.0, description="Per-attempt timeout of SMTP, SMS and webhooks.")
    webhook_dev_targets: bool = Field(
        False,
        description="Also allow http:// and loopback webhook targets (dev only; private and link-local stay refused).",
    )
    ops_email: str = Field("ops@aftercare.local", description="Where SLA-breach alerts go.")
    portal_target: str = Field(
        "127.0.0.1:50054", description="Portal gRPC address: every customer message's link comes from it."
    )
    repairs_target: str = Field("127.0.0.1:50052", description="Repairs gRPC address (contacts of claims).")
    warranty_target: str = Field("127.0.0.1:50051", description="Warranty gRPC address (warranty owners).")

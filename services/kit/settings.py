"""Process settings from `AFTERCARE_*` environment variables. The defaults run locally with nothing set."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS = {"warranty": 50051, "repairs": 50052, "notifications": 50053}


class Settings(BaseSettings):
    """One settings object per process. Each service process gets its own environment, so one
    `AFTERCARE_DATABASE_URL` or `AFTERCARE_GRPC_PORT` configures the process it is given to."""

    model_config = SettingsConfigDict(env_prefix="AFTERCARE_", extra="ignore")

    service: str = Field("", description="Which service this process runs; set by its entry point.")
    var_dir: Path = Field(Path("var"), description="Local state: SQLite files, dev keys, logs.")
    database_url: str = Field("", description="SQLAlchemy async URL; default: SQLite at var/<service>.db.")
    grpc_host: str = Field("127.0.0.1", description="Interface the gRPC server binds; 0.0.0.0 in containers.")
    grpc_port: int | None = Field(None, description="gRPC port (0: any free); default 50051/50052/50053.")
    grpc_max_message_bytes: int = Field(4 * 1024 * 1024, description="Largest message received or sent.")
    grpc_max_concurrent_rpcs: int = Field(2000, description="RPCs served at once; more get RESOURCE_EXHAUSTED.")
    grpc_shutdown_grace_seconds: float = Field(10.0, description="Time in-flight RPCs get on shutdown.")
    temporal_address: str = Field("localhost:7233", description="Temporal frontend host:port.")
    temporal_namespace: str = Field("default", description="Temporal namespace.")
    temporal_tls: bool = Field(False, description="Connect to Temporal over TLS (on by itself with an API key).")
    temporal_tls_cert: Path | None = Field(None, description="Client certificate (PEM) for mTLS to Temporal.")
    temporal_tls_key: Path | None = Field(None, description="Its private key (PEM).")
    temporal_tls_ca: Path | None = Field(None, description="CA bundle (PEM) for a self-hosted cluster's certificate.")
    temporal_api_key: str = Field("", description="Temporal Cloud API key (sent as a bearer token over TLS).")
    temporal_ui_url: str = Field("http://localhost:8233", description="Temporal UI base URL, for links printed.")
    metrics_port: int = Field(0, description="Prometheus /metrics port (0: off); the Temporal SDK's on the next port.")
    metrics_host: str = Field("127.0.0.1", description="Interface /metrics binds; 0.0.0.0 in containers.")
    otlp_endpoint: str = Field("", description="OTLP/gRPC collector, e.g. http://otel:4317; empty: no export.")
    api_keys: str = Field("", description="API keys as 'principal=key,principal=key' (e.g. from a Secret).")
    api_keys_file: Path | None = Field(None, description="JSON file {principal: key}; default var/api-keys.json.")
    customer_id_key: str = Field("", description="Secret that derives opaque customer ids; default: var file.")
    log_level: str = Field("INFO", description="Python log level.")
    carrier: str = Field("local", description="Carrier adapter that issues shipping labels (repairs).")
    run_worker: bool = Field(True, description="Also run the service's Temporal activity worker.")
    run_api: bool = Field(True, description="Serve the gRPC API (off: a worker replica serving only health).")
    # notifications
    smtp_host: str = Field("127.0.0.1", description="SMTP server for e-mail (make run starts a sink on 1025).")
    smtp_port: int = Field(1025, description="SMTP port.")
    smtp_username: str = Field("", description="SMTP user; with it, STARTTLS is used when offered.")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_sender: str = Field("Aftercare <no-reply@aftercare.local>", description="From: of every e-mail.")
    sms_url: str = Field("http://127.0.0.1:8025/sms", description="SMS provider: POST {to, body, client_reference}.")
    sms_token: str = Field("", description="Bearer token for the SMS provider.")
    provider_timeout_seconds: float = Field(10.0, description="Per-attempt timeout of SMTP, SMS and webhooks.")
    webhook_dev_targets: bool = Field(False, description="Allow http:// and private webhook targets (dev only).")
    ops_email: str = Field("ops@aftercare.local", description="Where SLA-breach alerts go.")
    portal_url: str = Field("http://localhost:8080", description="Customer portal base URL used in messages.")
    repairs_target: str = Field("127.0.0.1:50052", description="Repairs gRPC address (contacts of claims).")
    warranty_target: str = Field("127.0.0.1:50051", description="Warranty gRPC address (warranty owners).")
    service_api_key: str = Field("", description="This service's `service` key for other services' APIs.")

    @classmethod
    def for_service(cls, service: str, **overrides: object) -> Settings:
        settings = cls(service=service, **overrides)  # type: ignore[arg-type]
        if settings.grpc_port is None:
            settings.grpc_port = DEFAULT_PORTS[service]
        if not settings.database_url:
            settings.database_url = f"sqlite+aiosqlite:///{settings.var_dir / f'{service}.db'}"
        if settings.api_keys_file is None:
            settings.api_keys_file = settings.var_dir / "api-keys.json"
        return settings

    def own_service_key(self) -> str:
        """The `service` principal's key: AFTERCARE_SERVICE_API_KEY, else the key file's "service" entry."""
        if self.service_api_key:
            return self.service_api_key
        file = self.api_keys_file
        if file is not None and file.exists():
            return str(json.loads(file.read_text()).get("service", ""))
        return ""

    @property
    def grpc_target(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"

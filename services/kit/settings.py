"""Process settings from `AFTERCARE_*` environment variables. The defaults run locally with nothing set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What every process reads. Each service process gets its own environment, so one
    `AFTERCARE_DATABASE_URL` or `AFTERCARE_GRPC_PORT` configures the process it is given to. A service adds
    its own fields in a subclass (its `settings.py`)."""

    model_config = SettingsConfigDict(env_prefix="AFTERCARE_", extra="ignore")

    service: str = Field("", description="Which service this process runs; set by its entry point.")
    var_dir: Path = Field(Path("var"), description="Local state: SQLite files, dev keys, logs.")
    database_url: str = Field("", description="SQLAlchemy async URL; default: SQLite at var/<service>.db.")
    grpc_host: str = Field("127.0.0.1", description="Interface the gRPC server binds; 0.0.0.0 in containers.")
    grpc_port: int | None = Field(
        None, description="gRPC port (0: any free); default: the service's own (services/registry.py)."
    )
    grpc_tls_cert: Path | None = Field(None, description="Server certificate chain (PEM): the API serves TLS only.")
    grpc_tls_key: Path | None = Field(None, description="Its private key (PEM).")
    grpc_tls_client_ca: Path | None = Field(None, description="CA (PEM) whose client certificates are required: mTLS.")
    grpc_client_tls_ca: Path | None = Field(
        None, description="CA (PEM) this process trusts when it calls another service over TLS (internal clients)."
    )
    grpc_client_tls_cert: Path | None = Field(None, description="Client certificate (PEM) for mTLS to other services.")
    grpc_client_tls_key: Path | None = Field(None, description="Its private key (PEM).")
    grpc_max_message_bytes: int = Field(4 * 1024 * 1024, description="Largest message received or sent.")
    grpc_max_concurrent_rpcs: int = Field(2000, description="RPCs served at once; more get RESOURCE_EXHAUSTED.")
    rate_limit_per_second: float = Field(
        500.0, description="Requests a second each caller (principal) may make to this replica; 0: no limit."
    )
    rate_limit_burst: float = Field(1000.0, description="How many requests a caller may make at once above the rate.")
    request_log_retention_days: int = Field(
        30, description="How long a request carried out is remembered: a retry within it gets the first answer."
    )
    grpc_shutdown_grace_seconds: float = Field(10.0, description="Time in-flight RPCs get on shutdown.")
    temporal_address: str = Field("localhost:7233", description="Temporal frontend host:port.")
    temporal_namespace: str = Field("default", description="Temporal namespace.")
    temporal_tls: bool = Field(False, description="Connect to Temporal over TLS (on by itself with an API key).")
    temporal_tls_cert: Path | None = Field(None, description="Client certificate (PEM) for mTLS to Temporal.")
    temporal_tls_key: Path | None = Field(None, description="Its private key (PEM).")
    temporal_tls_ca: Path | None = Field(None, description="CA bundle (PEM) for a self-hosted cluster's certificate.")
    temporal_api_key: SecretStr = Field(
        SecretStr(""), description="Temporal Cloud API key (sent as a bearer token over TLS)."
    )
    temporal_ui_url: str = Field("http://localhost:8233", description="Temporal UI base URL, for links printed.")
    metrics_port: int = Field(0, description="Prometheus /metrics port (0: off); the Temporal SDK's on the next port.")
    metrics_host: str = Field("127.0.0.1", description="Interface /metrics binds; 0.0.0.0 in containers.")
    otlp_endpoint: str = Field("", description="OTLP/gRPC collector, e.g. http://otel:4317; empty: no export.")
    api_keys: SecretStr = Field(
        SecretStr(""), description="API keys as 'principal=key,principal=key' (e.g. from a Secret)."
    )
    api_keys_file: Path | None = Field(None, description="JSON file {principal: key}; default var/api-keys.json.")
    log_level: str = Field("INFO", description="Python log level.")
    run_worker: bool = Field(True, description="Also run the service's Temporal activity worker.")
    run_api: bool = Field(True, description="Serve the gRPC API (off: a worker replica serving only health).")
    service_api_key: SecretStr = Field(
        SecretStr(""), description="This service's `service` key for other services' APIs."
    )

    @classmethod
    def for_service(cls, service: str, port: int, **overrides: object) -> Self:
        """The settings of `service`, whose gRPC port is `port` unless AFTERCARE_GRPC_PORT says otherwise."""
        settings = cls(service=service, **overrides)  # type: ignore[arg-type]
        if settings.grpc_port is None:
            settings.grpc_port = port
        if not settings.database_url:
            settings.database_url = f"sqlite+aiosqlite:///{settings.var_dir / f'{service}.db'}"
        if settings.api_keys_file is None:
            settings.api_keys_file = settings.var_dir / "api-keys.json"
        return settings

    def own_service_key(self) -> str:
        """The `service` principal's key, for a service calling another's API: AFTERCARE_SERVICE_API_KEY, else
        the key file's "service" entry."""
        return self.service_api_key.get_secret_value() or self.key_from_file("service")

    def key_from_file(self, principal: str) -> str:
        """The key of `principal` in the API key file (a dev default; deployments set the key directly)."""
        file = self.api_keys_file
        if file is not None and file.exists():
            return str(json.loads(file.read_text()).get(principal, ""))
        return ""

    @property
    def grpc_target(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"

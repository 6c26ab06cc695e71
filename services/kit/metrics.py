"""Prometheus metrics every process has (DESIGN: ops watch the system); a service's own live in its
`metrics.py`. Off unless AFTERCARE_METRICS_PORT is set (`make run` and the deploy files set it): /metrics on
that port has the process's metrics, and the Temporal SDK's worker metrics (task slots, polls, latencies)
are served on the next port up."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram, start_http_server
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from services.kit.settings import Settings

log = logging.getLogger("aftercare.metrics")

RPCS = Counter("aftercare_grpc_requests", "gRPC requests served, by method and status code.", ["method", "code"])
RPC_SECONDS = Histogram(
    "aftercare_grpc_request_duration_seconds",
    "gRPC request latency, by method.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_runtime: Runtime | None = None


def serve(settings: Settings) -> None:
    """Start /metrics for this process, if configured."""
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
        log.info("metrics ready", extra={"port": settings.metrics_port, "temporal_sdk_port": settings.metrics_port + 1})


def temporal_runtime(settings: Settings) -> Runtime | None:
    """The Temporal runtime that exports the SDK's metrics (one per process), or None for the default."""
    global _runtime
    if not settings.metrics_port:
        return None
    if _runtime is None:
        address = f"{settings.metrics_host}:{settings.metrics_port + 1}"
        _runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    return _runtime

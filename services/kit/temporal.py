"""The Temporal client every process uses: pydantic data converter; where and how to reach Temporal from the
AFTERCARE_TEMPORAL_* settings, and for what they leave unset from the SDK's standard environment configuration
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, a TEMPORAL_PROFILE of the
TEMPORAL_CONFIG_FILE), as Temporal's own tools read it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.service import TLSConfig
from temporalio.worker import Worker

from services.kit.errors import Unavailable
from services.kit.settings import Settings

log = logging.getLogger("aftercare.temporal")


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS for a Temporal cluster (mTLS with a client certificate) or Temporal Cloud (API key); none locally."""
    if settings.temporal_tls_cert or settings.temporal_tls_key or settings.temporal_tls_ca:
        if bool(settings.temporal_tls_cert) != bool(settings.temporal_tls_key):
            raise ValueError("AFTERCARE_TEMPORAL_TLS_CERT and AFTERCARE_TEMPORAL_TLS_KEY go together")
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())


_OUR_TLS = ("temporal_tls", "temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca", "temporal_api_key")


@dataclass(frozen=True)
class Target:
    """Where and how a process reaches Temporal."""

    address: str
    namespace: str
    api_key: str | None
    tls: TLSConfig | bool


def target(settings: Settings) -> Target:
    """Each AFTERCARE_TEMPORAL_* setting the process was given wins; what it leaves unset comes from the SDK's
    environment configuration, then the settings' defaults (localhost:7233, namespace default, no TLS)."""
    sdk = ClientConfig.load_client_connect_config()
    given = settings.model_fields_set
    ours = any(name in given for name in _OUR_TLS)
    address, namespace = settings.temporal_address, settings.temporal_namespace
    api_key = settings.temporal_api_key.get_secret_value() if ours else sdk.get("api_key")
    return Target(
        address=address if "temporal_address" in given else sdk.get("target_host") or address,
        namespace=namespace if "temporal_namespace" in given else sdk.get("namespace") or namespace,
        api_key=api_key or None,
        tls=tls_config(settings) if ours else sdk.get("tls", False),
    )


async def connect(settings: Settings, **options: Any) -> Client:
    from services.kit.metrics import temporal_runtime
    from services.kit.tracing import temporal_interceptor

    if (runtime := temporal_runtime(settings)) is not None:
        options.setdefault("runtime", runtime)
    options.setdefault("interceptors", [temporal_interceptor()])
    where = target(settings)
    return await Client.connect(
        where.address,
        namespace=where.namespace,
        data_converter=pydantic_data_converter,
        tls=where.tls,
        api_key=where.api_key,
        **options,
    )


class LazyClient:
    """A Temporal client connected on first use, so an API serves reads while Temporal is down; calls that
    need Temporal then answer UNAVAILABLE."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]):
        self._connect = connect
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await self._connect()
                    except RuntimeError:  # temporalio's "cannot connect"
                        raise Unavailable(
                            "the workflow engine is unavailable; retry later", reason="TEMPORAL_UNAVAILABLE"
                        ) from None
        return self._client


async def run_worker(
    settings: Settings,
    task_queue: str,
    *,
    activities: Sequence[Callable[..., Any]] = (),
    workflows: Sequence[type] = (),
    on_connect: Callable[[Client], Awaitable[object]] | None = None,
) -> None:
    """Run a worker until cancelled, reconnecting while Temporal is unreachable (the API keeps serving).
    `on_connect` runs once connected, before the worker polls (e.g. to make sure a schedule exists)."""
    delay = 0.5
    while True:
        try:
            client = await connect(settings)
        except RuntimeError as exc:  # temporalio raises RuntimeError when it cannot connect
            log.warning(
                "temporal unreachable; retrying",
                extra={"address": target(settings).address, "error": type(exc).__name__, "in_s": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        if on_connect is not None:
            await on_connect(client)
        worker = Worker(client, task_queue=task_queue, activities=list(activities), workflows=list(workflows))
        log.info("worker ready", extra={"task_queue": task_queue})
        await worker.run()
        return

"""The gRPC server every service runs: authentication, error mapping and RPC logs in one interceptor;
the standard health service and reflection; bounded messages and concurrency; graceful shutdown."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy.exc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from opentelemetry import propagate, trace

from services.kit import grants, metrics, tracing
from services.kit.auth import KeyStore, Role, set_principal
from services.kit.errors import (
    DomainError,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
)
from services.kit.ratelimit import RateLimiter
from services.kit.reflection import enable_reflection
from services.kit.settings import Settings

log = logging.getLogger("aftercare.rpc")

PUBLIC_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def to_status(error: DomainError, domain: str) -> status_pb2.Status:
    """A domain error as google.rpc.Status with ErrorInfo and, for bad input, BadRequest."""
    details = []
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    details.append(info)
    if error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromTimedelta(timedelta(seconds=error.retry_after))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    if isinstance(error, InvalidArgument):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.violations
                ]
            )
        )
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    return status_pb2.Status(code=code_pb2.Code.Value(error.code), message=error.message, details=packed)


def classify(exc: BaseException) -> DomainError:
    """Any exception as the DomainError to answer with: never UNKNOWN."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, NotImplementedError):  # a method the proto declares and the servicer does not implement
        return Unimplemented("this method is not implemented", reason="UNIMPLEMENTED")
    if isinstance(
        exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError | ConnectionError | TimeoutError
    ):
        return Unavailable("a dependency is unavailable; retry later", reason="DEPENDENCY_UNAVAILABLE")
    try:
        from temporalio.service import RPCError, RPCStatusCode

        if isinstance(exc, RPCError) and exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return Unavailable("the workflow engine is unavailable; retry later", reason="TEMPORAL_UNAVAILABLE")
    except ImportError:  # pragma: no cover - temporalio is a dependency
        pass
    return DomainError("internal error")


class RpcInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every non-public RPC, maps every failure to a status with details, logs the call."""

    def __init__(self, keys: KeyStore, domain: str, limiter: RateLimiter | None = None):
        self._keys = keys
        self._domain = domain
        self._limiter = limiter or RateLimiter(0, 1)
        # A method's wrapped handler is built once, on its first call: building it costs more than the call.
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        if handler is None or method.startswith(PUBLIC_METHOD_PREFIXES):
            return handler
        wrapped = self._wrapped[method] = self._wrap(handler, method)
        return wrapped

    def _admit(self, metadata: Any) -> None:
        """Authenticate the caller, then take one of its tokens. Services calling each other are not limited, nor
        is the portal, which speaks for many customers and limits each of them itself; its calls carry the
        grant of the customer it serves (services/kit/grants.py)."""
        principal, digest = self._keys.identify(metadata)
        set_principal(principal)
        grant = None
        if principal.role is Role.PORTAL:
            text = next((v for k, v in metadata or () if k == grants.METADATA_KEY), None)
            grant = grants.verify(text, digest, datetime.now(UTC)) if isinstance(text, str) else None
        grants.set_grant(grant)
        if principal.role not in (Role.SERVICE, Role.PORTAL) and (wait := self._limiter.take(str(principal))):
            raise ResourceExhausted(
                "too many requests from this caller; retry later", reason="RATE_LIMITED", retry_after=max(wait, 0.001)
            )

    def _wrap(self, handler: grpc.RpcMethodHandler[Any, Any], method: str) -> grpc.RpcMethodHandler[Any, Any]:
        domain, admit = self._domain, self._admit
        succeeded, seconds = metrics.RPCS.labels(method, "OK"), metrics.RPC_SECONDS.labels(method)

        async def fail(context: grpc.aio.ServicerContext[Any, Any], exc: BaseException, started: float) -> None:
            error = classify(exc)
            metrics.RPCS.labels(method, error.code).inc()
            seconds.observe(time.perf_counter() - started)
            tracing.rpc_outcome(error.code)
            fields = {"method": method, "code": error.code, "reason": error.reason, "ms": _ms(started)}
            if error.code == "INTERNAL":
                log.error("rpc failed", extra=fields, exc_info=exc)
            else:
                log.info("rpc", extra=fields)
            await context.abort_with_status(rpc_status.to_status(to_status(error, domain)))

        def done(started: float) -> None:
            tracing.rpc_outcome("OK")
            succeeded.inc()
            seconds.observe(time.perf_counter() - started)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("rpc", extra={"method": method, "code": "OK", "ms": _ms(started)})

        async def unary_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            metadata = context.invocation_metadata()
            with server_span(method, metadata):
                return await traced_unary(request, context, metadata, started)

        async def traced_unary(
            request: Any, context: grpc.aio.ServicerContext[Any, Any], metadata: Any, started: float
        ) -> Any:
            try:
                admit(metadata)
                response = await inner(decoded(request, message), context)
            except (asyncio.CancelledError, grpc.aio.AbortError):
                raise
            except Exception as exc:  # noqa: BLE001 - every failure gets a status
                await fail(context, exc, started)
            done(started)
            return response

        async def stream_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            metadata = context.invocation_metadata()
            with server_span(method, metadata):
                try:
                    admit(metadata)
                    async for item in inner(decoded(request, message), context):
                        yield item
                except (asyncio.CancelledError, grpc.aio.AbortError):
                    raise
                except Exception as exc:  # noqa: BLE001
                    await fail(context, exc, started)
                done(started)

        kinds = {
            "unary_unary": (grpc.unary_unary_rpc_method_handler, unary_response),
            "stream_unary": (grpc.stream_unary_rpc_method_handler, unary_response),
            "unary_stream": (grpc.unary_stream_rpc_method_handler, stream_response),
            "stream_stream": (grpc.stream_stream_rpc_method_handler, stream_response),
        }
        message = _request_type(handler)
        for kind, (make, behaviour) in kinds.items():
            inner = getattr(handler, kind)
            if inner is not None:
                return make(
                    behaviour,
                    request_deserializer=_tolerant(handler.request_deserializer),
                    response_serializer=handler.response_serializer,
                )
        raise TypeError(f"no behaviour in handler for {method}")


class _Undecodable:
    """What a request body that is not the method's protobuf message decodes to: the handler then refuses it
    as INVALID_ARGUMENT, after authentication, instead of grpc answering UNKNOWN with a Python class name."""


UNDECODABLE = _Undecodable()


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError and whatever a corrupt body raises
            return UNDECODABLE

    return decode


def _request_type(handler: grpc.RpcMethodHandler[Any, Any]) -> str:
    """The full name of the method's request message, for the refusal of a body that is not one."""
    owner = getattr(handler.request_deserializer, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", "request message"))


def _malformed(message: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation("request", f"is not a valid {message}")], reason="MALFORMED_REQUEST")


def decoded(request: Any, message: str) -> Any:
    """The request, or for a stream the same stream, refusing a body that did not decode."""
    if request is UNDECODABLE:
        raise _malformed(message)
    if hasattr(request, "__aiter__"):
        return _decoded_stream(request, message)
    return request


async def _decoded_stream(requests: AsyncIterator[Any], message: str) -> AsyncIterator[Any]:
    async for request in requests:
        if request is UNDECODABLE:
            raise _malformed(message)
        yield request


@contextmanager
def server_span(method: str, metadata: Any) -> Iterator[None]:
    """A SERVER span for the RPC, continuing the caller's trace when it sends W3C `traceparent` metadata, with
    the OpenTelemetry RPC attributes; its status is set from the gRPC code (tracing.rpc_outcome), not from the
    abort that carries a refusal to the caller."""
    carrier = {k: v for k, v in metadata or () if isinstance(v, str)}
    if not tracing.recording and "traceparent" not in carrier:
        with trace.use_span(tracing.unrecorded_span()):
            yield
        return
    with tracing.tracer.start_as_current_span(
        method,
        context=propagate.extract(carrier) if "traceparent" in carrier else None,
        kind=trace.SpanKind.SERVER,
        attributes=_rpc_attributes(method),
        record_exception=False,
        set_status_on_exception=False,
    ):
        yield


@functools.cache
def _rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@dataclass
class ServiceBinding:
    """A servicer and the generated function that adds it to a server."""

    name: str  # full service name, e.g. "aftercare.warranty.v1.WarrantyService"
    add: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


class GrpcServer:
    def __init__(self, settings: Settings, keys: KeyStore, bindings: Iterable[ServiceBinding], domain: str):
        self.settings = settings
        self.bindings = list(bindings) if settings.run_api else []  # a worker-only replica: health only
        limit = settings.grpc_max_message_bytes
        self.server = grpc.aio.server(
            interceptors=[
                RpcInterceptor(keys, domain, RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst))
            ],
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=settings.grpc_max_concurrent_rpcs,
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        for binding in self.bindings:
            binding.add(binding.servicer, self.server)
        names = [b.name for b in self.bindings]
        enable_reflection([*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name], self.server)
        self.port = 0

    async def start(self) -> int:
        credentials = server_credentials(self.settings)
        if credentials is None:
            self.port = self.server.add_insecure_port(self.settings.grpc_target)
        else:
            self.port = self.server.add_secure_port(self.settings.grpc_target, credentials)
        if not self.port:
            raise OSError(f"cannot bind gRPC on {self.settings.grpc_target}")
        await self.server.start()
        for name in ["", *(b.name for b in self.bindings)]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self.port

    async def stop(self) -> None:
        """Graceful: health goes NOT_SERVING so balancers stop sending, then in-flight RPCs get the grace."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.settings.grpc_shutdown_grace_seconds)


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS for the API when a certificate is configured, requiring client certificates from a CA (mTLS) when
    one is named; None: plaintext (local runs, or behind a mesh that terminates TLS)."""
    if not (settings.grpc_tls_cert or settings.grpc_tls_key):
        if settings.grpc_tls_client_ca:
            raise ValueError("AFTERCARE_GRPC_TLS_CLIENT_CA needs AFTERCARE_GRPC_TLS_CERT and _KEY")
        return None
    if not (settings.grpc_tls_cert and settings.grpc_tls_key):
        raise ValueError("AFTERCARE_GRPC_TLS_CERT and AFTERCARE_GRPC_TLS_KEY go together")
    ca = settings.grpc_tls_client_ca.read_bytes() if settings.grpc_tls_client_ca else None
    pair = (settings.grpc_tls_key.read_bytes(), settings.grpc_tls_cert.read_bytes())
    return grpc.ssl_server_credentials([pair], root_certificates=ca, require_client_auth=ca is not None)


def channel_credentials(
    ca: Path | None, cert: Path | None = None, key: Path | None = None
) -> grpc.ChannelCredentials | None:
    """TLS (and, with a certificate and key, mTLS) for a client channel; None: plaintext."""
    if not (ca or cert or key):
        return None
    if bool(cert) != bool(key):
        raise ValueError("a client certificate and its key go together")
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes() if ca else None,
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )


# What another service answers when it could not serve a call now: worth trying again later.
TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)


def aio_channel(target: str, settings: Settings, **options: Any) -> grpc.aio.Channel:
    """A channel to another service as this process's settings say: TLS when they name a CA or certificate."""
    credentials = channel_credentials(
        settings.grpc_client_tls_ca, settings.grpc_client_tls_cert, settings.grpc_client_tls_key
    )
    if credentials is None:
        return grpc.aio.insecure_channel(target, **options)
    return grpc.aio.secure_channel(target, credentials, **options)


async def wait_for_shutdown_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

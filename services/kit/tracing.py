"""OpenTelemetry tracing: one trace from a gRPC call into the workflow it starts or updates and the activities
that run for it (temporalio.contrib.opentelemetry carries the context through Temporal's headers).

Every process makes spans, so logs carry trace ids; nothing is exported unless AFTERCARE_OTLP_ENDPOINT names
an OTLP/gRPC collector. Span names are methods, workflow types and activity names: no personal data."""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Status, StatusCode
from temporalio.contrib.opentelemetry import TracingInterceptor

from services.kit.settings import Settings

tracer = trace.get_tracer("aftercare")
recording = True  # False once configure() finds no collector: spans then only carry ids (see unrecorded_span)
_ids = RandomIdGenerator()


def configure(settings: Settings) -> TracerProvider:
    """The process's tracer provider (call once, at start). With no collector to send spans to, nothing is
    recorded: spans still get ids (log lines carry them, and they travel on to the next process), but nothing
    builds, times or keeps them, which is a fifth of a cheap RPC's work."""
    resource = Resource.create({"service.name": f"aftercare-{settings.service or 'cli'}"})
    sampler = sampling.ParentBased(sampling.ALWAYS_ON) if settings.otlp_endpoint else sampling.ALWAYS_OFF
    provider = TracerProvider(resource=resource, sampler=sampler)
    global recording
    recording = bool(settings.otlp_endpoint)
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    return provider


def unrecorded_span() -> trace.NonRecordingSpan:
    """A new root span that only carries fresh ids, what the SDK makes when its sampler drops a span, made
    without the sampler's and the span builder's work: a server span where nothing records spans."""
    return trace.NonRecordingSpan(trace.SpanContext(_ids.generate_trace_id(), _ids.generate_span_id(), is_remote=False))


def temporal_interceptor() -> TracingInterceptor:
    """For the Temporal client (and so its workers): spans for starts, updates, workflows and activities."""
    return TracingInterceptor()


def current_ids() -> tuple[str, str] | None:
    """The current trace and span ids (hex), for log lines; None outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


# OpenTelemetry's RPC conventions: a server span is an error only for codes that say the server failed.
SERVER_FAULTS = frozenset({"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"})


def rpc_outcome(code: str) -> None:
    """Mark the current server span with the RPC's gRPC status code (a name such as "NOT_FOUND")."""
    span = trace.get_current_span()
    span.set_attribute("rpc.grpc.status_code", grpc.StatusCode[code].value[0])
    if code in SERVER_FAULTS:
        span.set_status(Status(StatusCode.ERROR, code))


class _Propagating(grpc.aio.UnaryUnaryClientInterceptor):
    """Sends the current trace context as `traceparent` metadata, so the called service's span joins it."""

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if carrier:
            metadata = [*(details.metadata or ()), *carrier.items()]
            details = details._replace(metadata=metadata)
        return await continuation(details, request)


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """For every internal gRPC client channel: the callee continues the caller's trace."""
    return [_Propagating()]

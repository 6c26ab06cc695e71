"""OpenTelemetry tracing: one trace from a gRPC call into the workflow it starts or updates and the activities
that run for it (temporalio.contrib.opentelemetry carries the context through Temporal's headers).

Every process makes spans, so logs carry trace ids; nothing is exported unless AFTERCARE_OTLP_ENDPOINT names
an OTLP/gRPC collector. Span names are methods, workflow types and activity names: no personal data."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor

from services.kit.settings import Settings

tracer = trace.get_tracer("aftercare")


def configure(settings: Settings) -> TracerProvider:
    """The process's tracer provider (call once, at start)."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"aftercare-{settings.service or 'cli'}"}))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    return provider


def temporal_interceptor() -> TracingInterceptor:
    """For the Temporal client (and so its workers): spans for starts, updates, workflows and activities."""
    return TracingInterceptor()


def current_ids() -> tuple[str, str] | None:
    """The current trace and span ids (hex), for log lines; None outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")

"""One trace follows a claim's filing from the gRPC call into its workflow and the activities that run for
it, and log lines made inside carry its trace id."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kit.logs import JsonFormatter
from tests.stack import Stack, claim_request, new_serial, until

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
TRACEPARENT = f"00-{TRACE_ID:032x}-00f067aa0ba902b7-01"

GET_WARRANTY = "/aftercare.warranty.v1.WarrantyService/GetWarranty"
LIST_PRODUCTS = "/aftercare.warranty.v1.WarrantyService/ListProducts"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the first test module to trace installs the SDK provider
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_a_filing_is_one_trace_from_the_rpc_to_the_activities(stack: Stack, spans: InMemorySpanExporter) -> None:
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    metadata = [*stack.as_("retailer:demo-retailer"), ("traceparent", TRACEPARENT)]
    claim = (await stack.repairs.FileClaim(claim_request(serial), metadata=metadata)).claim

    def names() -> set[str]:
        return {s.name for s in spans.get_finished_spans() if s.context.trace_id == TRACE_ID}

    expected = {
        "/aftercare.repairs.v1.RepairsService/FileClaim",  # the server span continues the caller's trace
        "StartUpdateWithStartWorkflow:ClaimWorkflow",
        "RunWorkflow:ClaimWorkflow",
        "HandleUpdate:file",
        "RunActivity:warranty.check_entitlement",
        "RunActivity:repairs.assign_centre",
        "RunActivity:repairs.create_label",
        "RunActivity:repairs.record_event",
        "RunActivity:notifications.send_notification",  # and on into the notifications service
        "/aftercare.repairs.v1.RepairsService/GetClaim",  # which asks repairs for the contact: the same trace
    }

    async def traced() -> bool:
        return expected <= names()

    await until(traced, what=f"spans in the caller's trace: {sorted(expected)}")
    assert claim.rma and not any(claim.rma in n or "@" in n for n in names())  # names carry no data


def test_log_lines_inside_a_span_carry_its_ids(spans: InMemorySpanExporter) -> None:
    record = logging.LogRecord("aftercare.test", logging.INFO, __file__, 1, "hello", None, None)
    assert "trace_id" not in JsonFormatter().format(record)
    with trace.get_tracer("test").start_as_current_span("outer") as span:
        line = JsonFormatter().format(record)
    context = span.get_span_context()
    assert f'"trace_id": "{context.trace_id:032x}"' in line and f'"span_id": "{context.span_id:016x}"' in line


async def test_a_refusal_is_not_a_server_error_and_spans_carry_the_rpc_attributes(
    stack: Stack, spans: InMemorySpanExporter
) -> None:
    from aftercare.warranty.v1 import warranty_pb2 as wpb
    from grpc import aio
    from opentelemetry.trace import StatusCode

    trace_id = 0x0AF7651916CD43DD8448EB211C80319C  # a trace of its own
    metadata = [*stack.as_("ops"), ("traceparent", f"00-{trace_id:032x}-b7ad6b7169203331-01")]
    with pytest.raises(aio.AioRpcError):
        await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial="SN-NOBODY-1"), metadata=metadata)
    await stack.warranty.ListProducts(wpb.ListProductsRequest(), metadata=metadata)

    def ours(name: str) -> list[Any]:
        return [s for s in spans.get_finished_spans() if s.name == name and s.context.trace_id == trace_id]

    async def both() -> bool:
        return bool(ours(GET_WARRANTY) and ours(LIST_PRODUCTS))

    await until(both, what="the two warranty spans")
    (refused,) = ours(GET_WARRANTY)
    (served,) = ours(LIST_PRODUCTS)
    assert refused.status.status_code is StatusCode.UNSET  # NOT_FOUND is the caller's answer, not our fault
    assert dict(refused.attributes or {}) == {
        "rpc.system": "grpc",
        "rpc.service": "aftercare.warranty.v1.WarrantyService",
        "rpc.method": "GetWarranty",
        "rpc.grpc.status_code": 5,
    }
    assert (served.attributes or {})["rpc.grpc.status_code"] == 0 and not refused.events  # no exception event


def test_server_faults_are_errors_and_the_rest_are_not() -> None:
    from opentelemetry.trace import StatusCode

    from services.kit.tracing import rpc_outcome

    outcomes = {}
    for code in (
        "OK",
        "INVALID_ARGUMENT",
        "NOT_FOUND",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "INTERNAL",
        "UNAVAILABLE",
        "UNIMPLEMENTED",
    ):
        with trace.get_tracer("test").start_as_current_span(code) as span:
            rpc_outcome(code)
        outcomes[code] = span.status.status_code  # type: ignore[attr-defined]
    assert [c for c, s in outcomes.items() if s is StatusCode.ERROR] == ["INTERNAL", "UNAVAILABLE", "UNIMPLEMENTED"]

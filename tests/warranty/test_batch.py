"""BatchRegisterSales: a result per sale, bad sales never sink good ones, bounded streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.rpc import code_pb2
from sqlalchemy import func
from sqlmodel import select

from services.warranty.api.sales import MAX_SALES_PER_CHUNK
from services.warranty.persistence.tables import WarrantyRow
from tests.rpc import details, failure
from tests.warranty.conftest import Api, new_id, sale


async def stream(*chunks: Iterable[pb.RegisterSaleRequest]) -> AsyncIterator[pb.BatchRegisterSalesRequest]:
    for chunk in chunks:
        yield pb.BatchRegisterSalesRequest(sales=list(chunk))


async def rows(api: Api) -> int:
    async with api.app.db.read() as session:
        return int((await session.exec(select(func.count()).select_from(WarrantyRow))).one())


async def test_bad_sales_mixed_in_do_not_sink_the_good_ones(api: Api, product: pb.Product) -> None:
    await api.register("SN-B-EXISTING")
    reused = new_id()
    chunk1 = [sale(f"SN-B{i:03d}") for i in range(50)]
    chunk1[7] = sale("bad serial!")
    chunk1[20] = sale("SN-B-EXISTING")
    chunk1[30] = sale("SN-B030", sku="NO-SUCH")
    chunk2 = [sale(f"SN-C{i:03d}") for i in range(30)]
    chunk2[0] = sale("SN-C000", request_id=reused)
    chunk2[1] = sale("SN-C001", request_id=reused)  # same id, different sale
    chunk2[2] = sale("SN-B001")  # a serial the first chunk registered
    response = await api.stub.BatchRegisterSales(stream(chunk1, chunk2), metadata=api.retailer)

    assert [r.index for r in response.results] == list(range(80))
    failed = {r.index: r for r in response.results if r.status.code != code_pb2.OK}
    assert sorted(failed) == [7, 20, 30, 51, 52]
    assert details(failed[7].status)[2] == {
        "serial": "must be 4 to 64 characters of A-Z, 0-9, '-', '.', '_', '/', starting with a letter or digit"
    }
    assert failed[20].status.code == code_pb2.ALREADY_EXISTS
    assert details(failed[20].status)[0] == "SERIAL_ALREADY_REGISTERED"
    assert details(failed[30].status)[2] == {"sku": "is not a known product"}
    assert details(failed[51].status)[0] == "REQUEST_ID_REUSED"
    assert failed[52].status.code == code_pb2.ALREADY_EXISTS
    assert (response.registered_count, response.failed_count) == (75, 5)
    assert await rows(api) == 76


async def test_a_retried_stream_registers_nothing_new(api: Api, product: pb.Product) -> None:
    chunk = [sale(f"SN-RT{i:03d}") for i in range(100)]
    first = await api.stub.BatchRegisterSales(stream(chunk), metadata=api.retailer)
    again = await api.stub.BatchRegisterSales(stream(chunk), metadata=api.retailer)
    assert first.registered_count == again.registered_count == 100
    assert await rows(api) == 100


async def test_duplicates_inside_one_chunk(api: Api, product: pb.Product) -> None:
    same = sale("SN-TWICE")
    response = await api.stub.BatchRegisterSales(stream([same, same, sale("SN-TWICE")]), metadata=api.retailer)
    codes = [r.status.code for r in response.results]
    assert codes == [code_pb2.OK, code_pb2.OK, code_pb2.ALREADY_EXISTS]
    assert await rows(api) == 1


async def test_oversized_chunk_is_resource_exhausted(api: Api, product: pb.Product) -> None:
    big = [sale(f"SN-X{i:05d}") for i in range(MAX_SALES_PER_CHUNK + 1)]
    failed = await failure(api.stub.BatchRegisterSales(stream(big), metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "CHUNK_TOO_LARGE")


async def test_stream_is_bounded(api: Api, product: pb.Product, monkeypatch: object) -> None:
    import services.warranty.api.sales as sales

    monkeypatch.setattr(sales, "MAX_SALES_PER_STREAM", 10)  # type: ignore[attr-defined]
    failed = await failure(
        api.stub.BatchRegisterSales(
            stream([sale(f"SN-S{i}A") for i in range(6)], [sale(f"SN-S{i}B") for i in range(6)]), metadata=api.retailer
        )
    )
    assert (failed.code, failed.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STREAM_TOO_LARGE")
    assert await rows(api) == 6  # the first chunk was within bounds and stays


async def test_empty_stream(api: Api) -> None:
    response = await api.stub.BatchRegisterSales(stream(), metadata=api.retailer)
    assert (len(response.results), response.registered_count) == (0, 0)

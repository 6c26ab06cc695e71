"""Operators are people (issue 28): an ops key may name its operator (`ops:<id>`), and the timeline says who
approved, rejected or asked; the shared `ops` key stays. The customer's and the retailer's views name no one."""

from __future__ import annotations

import pytest
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2 as wpb

from services.kit.auth import KeyStore, Principal, Role
from tests.stack import RETAILER, Stack, new_id, new_serial

OPERATOR = "ops:demo-operator"


def test_a_named_operator_is_ops_with_an_id() -> None:
    jo = Principal.parse("ops:jo-smith")
    assert (jo.role, jo.id, str(jo)) == (Role.OPS, "jo-smith", "ops:jo-smith")
    assert Principal.parse("ops") == Principal(Role.OPS)
    keys = KeyStore([("ops:jo-smith", "ak_ops_1"), ("ops", "ak_ops_2")])
    assert keys.authenticate([("authorization", "Bearer ak_ops_1")]) == jo
    assert keys.authenticate([("authorization", "Bearer ak_ops_2")]) == Principal(Role.OPS)


@pytest.mark.parametrize("almost", ["ops:", "ops:Jo", "ops:-jo", "ops:jo smith", "ops:" + "j" * 64, "opsx", "op:jo"])
def test_an_almost_valid_operator_is_refused(almost: str) -> None:
    with pytest.raises(ValueError, match="ops:<operator>"):
        Principal.parse(almost)


async def test_the_timeline_says_which_operator_asked_and_approved(stack: Stack) -> None:
    await stack.product(approval=wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL))
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    filed = await stack.file(serial)
    asked = pb.RequestInformationRequest(request_id=new_id(), rma=filed.rma, needed=[pb.INFORMATION_NEEDED_PHOTOS])
    await stack.repairs.RequestInformation(asked, metadata=stack.as_(OPERATOR))
    await stack.answer_info(filed.rma, "Photo sent by post.")
    await stack.approve(filed.rma)  # the shared ops key
    by_ops = [(e.kind, e.actor.kind, e.actor.id) for e in (await stack.get(filed.rma)).timeline]
    assert ("INFO_REQUESTED", "ops", "demo-operator") in by_ops and ("APPROVED", "ops", "") in by_ops
    seen = await stack.get(filed.rma, principal=RETAILER)
    assert {e.actor.id for e in seen.timeline if e.actor.kind == "ops"} == {""}
    assert "INFO_REQUESTED" in [e.kind for e in seen.timeline]

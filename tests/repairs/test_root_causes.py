"""A root cause on every diagnosis (issue 28): a code from the fault categories' lists, checked by the API,
stored with the diagnosis, so failure analysis counts causes and not only symptoms."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from aftercare.repairs.v1 import repairs_pb2 as pb

from services.repairs.domain import root_causes
from services.repairs.domain.root_causes import CAUSES, CODES, NO_FAULT_FOUND, canonical, category
from tests.rpc import failure
from tests.stack import CENTRE, Stack, new_id, new_serial


def test_every_fault_category_has_its_causes_and_every_code_is_one_of_them() -> None:
    assert set(CAUSES) == {n.removeprefix("FAULT_CATEGORY_") for n in pb.FaultCategory.keys()[1:]}
    assert len(CODES) == len(set(CODES)) == sum(len(c) for c in CAUSES.values()) + 1
    for code in CODES:
        assert canonical(code) == code and canonical(f"  {code.lower()} ") == code
        assert category(code) == ("" if code == NO_FAULT_FOUND else code.split("/")[0])
        assert category(code) in CAUSES or code == NO_FAULT_FOUND


@pytest.mark.parametrize("almost", ["", "ELECTRICAL", "ELECTRICAL/", "/HEATING_ELEMENT", "ELECTRICAL/GREMLINS",
                                    "ELECTRICAL\\HEATING_ELEMENT", "DISPLAY/HEATING_ELEMENT", "NO_FAULT"])  # fmt: skip
def test_an_almost_valid_code_is_refused_saying_how_codes_look(almost: str) -> None:
    with pytest.raises(ValueError, match="ELECTRICAL/HEATING_ELEMENT"):
        canonical(almost)


async def diagnosing(stack: Stack) -> str:
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial)
    claim = await stack.parcel(claim, pb.DIRECTION_TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    return (await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING)).rma


async def test_a_diagnosis_without_a_known_root_cause_is_refused_and_changes_nothing(stack: Stack) -> None:
    rma = await diagnosing(stack)
    covered = pb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25)
    request_id = new_id()
    for cause in ("", "ELECTRICAL"):
        request = pb.RecordDiagnosisRequest(
            request_id=request_id, rma=rma, diagnosis=pb.Diagnosis(covered_fault=covered, root_cause=cause)
        )
        refused = await failure(stack.repairs.RecordDiagnosis(request, metadata=stack.as_(CENTRE)))
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "diagnosis.root_cause" in refused.fields and root_causes.HOW in refused.fields["diagnosis.root_cause"]
        assert (await stack.get(rma)).state == pb.CLAIM_STATE_DIAGNOSING

    fixed = pb.RecordDiagnosisRequest(  # the retry after the refusal, fixed, under the same request id
        request_id=request_id, rma=rma, diagnosis=pb.Diagnosis(covered_fault=covered, root_cause="electrical/fuse")
    )
    claim = (await stack.repairs.RecordDiagnosis(fixed, metadata=stack.as_(CENTRE))).claim
    assert claim.state == pb.CLAIM_STATE_REPAIRING and claim.diagnosis.root_cause == "ELECTRICAL/FUSE"
    assert (await stack.get(rma)).diagnosis.root_cause == "ELECTRICAL/FUSE"


def test_the_docs_list_every_cause() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "repairs.md").read_text()
    for category_name, causes in CAUSES.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{category_name}` |"))
        assert all(f"`{cause}`" in row for cause in causes), category_name

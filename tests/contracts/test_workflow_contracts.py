"""The names services use to reach workflows are the names the workflows answer to: a renamed update, query
or workflow would leave the repairs and notifications services calling something that is not there."""

from __future__ import annotations

import pytest
from temporalio import workflow

from contracts.claims import STATUS_QUERY, WORKFLOW, Update, claim_workflow_id, rma_of
from contracts.notifications import NOTIFY_WORKFLOW, notify_workflow_id
from workflows.claim.workflow import ClaimWorkflow
from workflows.notify import NotifyWorkflow


def test_the_claim_workflow_answers_to_the_contract_names() -> None:
    defn = workflow._Definition.must_from_class(ClaimWorkflow)
    assert defn.name == WORKFLOW == "ClaimWorkflow"
    assert set(defn.updates) == {u.value for u in Update}
    assert set(defn.queries) == {STATUS_QUERY}


def test_the_notify_workflow_answers_to_its_contract_name() -> None:
    assert workflow._Definition.must_from_class(NotifyWorkflow).name == NOTIFY_WORKFLOW == "NotifyWorkflow"


def test_claim_workflow_ids_read_both_ways() -> None:
    assert claim_workflow_id("RMA-7KQM-X3TD") == "claim-RMA-7KQM-X3TD"
    assert rma_of("claim-RMA-7KQM-X3TD") == "RMA-7KQM-X3TD"
    with pytest.raises(ValueError, match="not a claim workflow id"):
        rma_of("notify-0123")


def test_notify_workflow_ids_are_stable_per_key() -> None:
    assert notify_workflow_id("send/ops/1") == notify_workflow_id("send/ops/1") != notify_workflow_id("send/ops/2")
    assert notify_workflow_id("send/ops/1").startswith("notify-") and len(notify_workflow_id("x")) == 39


def test_the_next_run_carries_the_claim_and_the_update_ids_carried_out() -> None:
    from datetime import UTC, datetime

    from contracts.claims import ClaimInput
    from workflows.claim.handled import HANDLED_KEPT, HandledUpdates

    claim = ClaimInput(
        rma="RMA-1",
        serial="SN-1",
        fault_category="ELECTRICAL",
        incident_at=datetime(2026, 1, 1, tzinfo=UTC),
        retailer_id="r",
        region="DE",
        filed_by="ops",
    )
    run = ClaimWorkflow(claim)
    ids = [f"ops/{i}" for i in range(HANDLED_KEPT + 5)]
    run.handled = HandledUpdates(ids)
    after = run.next_run(claim)
    assert after.carried == run.status and after.handled_updates == ids[5:]
    assert ClaimWorkflow(after).handled.carried() == ids[5:]

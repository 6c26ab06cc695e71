"""Stored histories of every claim path replay against today's ClaimWorkflow, so a change that breaks
determinism for claims already running fails here, not in production. A deliberate change to workflow
logic goes behind `workflow.patched()`; these histories must keep replaying."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from contracts.claims import claim_workflow_id
from workflows.claim import ClaimWorkflow

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.rglob("*.json"))
BEFORE_NOTIFICATIONS = HERE / "before-notifications"  # recorded before the notify patch: must still replay


@pytest.mark.parametrize("where", [HERE, BEFORE_NOTIFICATIONS], ids=["current", "before-notifications"])
def test_every_path_has_a_stored_history(where: Path) -> None:
    names = {path.stem for path in where.glob("*.json")}
    assert {
        "happy_repair_from_filing_to_close",
        "quote_at_intake_times_out_as_declined",
        "refund_then_survey_window_closes",
        "replacement_moves_the_warranty",
        "sla_breach_escalates_once",
        "unshipped_rma_is_reminded_then_expires",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[str(p.relative_to(HERE)) for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(claim_workflow_id(path.stem), await asyncio.to_thread(path.read_text))
    await replayer.replay_workflow(history)

"""Stored histories of every claim path replay against today's ClaimWorkflow, so a change that breaks
determinism for claims already running fails here, not in production. A deliberate change to workflow
logic goes behind `workflow.patched()`; these histories must keep replaying."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from contracts.claims import claim_workflow_id
from tests.workflows import test_claim_paths, test_claim_review_paths
from workflows.claim.calls import PARCEL_EXCEPTION_PATCH, WAKE_TO_CONTINUE_PATCH, WRITE_BEHIND_PATCH
from workflows.claim.workflow import ClaimWorkflow

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.rglob("*.json"))
BEFORE_NOTIFICATIONS = HERE / "before-notifications"  # recorded before the notify patch: must still replay
BEFORE_REVIEW = HERE / "before-review"  # recorded before the review patch (risk check, review step, actors)
BEFORE_WRITE_BEHIND = HERE / "before-write-behind"  # recorded before records were written behind the update
BEFORE_WAKE = HERE / "before-wake-to-continue"  # recorded before a suggestion to continue as new woke the loop
BEFORE_PARCEL_ALERTS = HERE / "before-parcel-exception-alerts"  # a carrier's exception told nobody


# The histories recorded before the notify patch, by hand: each must stay, and keep replaying.
RECORDED_BEFORE_NOTIFICATIONS = {
    "another_centre_cannot_act",
    "cancel_before_shipping_and_refused_after_receipt",
    "customer_cancels_before_shipping",
    "duplicate_and_out_of_order_parcel_events_are_harmless",
    "exchange_inside_the_return_window",
    "happy_repair_from_filing_to_close",
    "illegal_move_is_refused_before_history_naming_the_state",
    "not_covered_with_nothing_offered_is_rejected",
    "quote_after_diagnosis_accepted_then_declined_paths",
    "quote_at_intake_times_out_as_declined",
    "quote_declined_after_diagnosis_ships_back_unrepaired",
    "refund_then_survey_window_closes",
    "replacement_moves_the_warranty",
    "retried_update_is_applied_once",
    "sla_breach_escalates_once",
    "unshipped_rma_is_reminded_then_expires",
}


# The histories recorded before the review patch: every path of that day, running claims that must go on.
RECORDED_BEFORE_REVIEW = RECORDED_BEFORE_NOTIFICATIONS | {
    "a_retry_after_a_continue_as_new_is_still_recognised",
    "the_sla_keeps_its_used_time_across_the_centres_moves",
}


# The histories recorded before the write-behind patch: every path of that day (each update waited for its
# records to be written before it answered).
RECORDED_BEFORE_WRITE_BEHIND = RECORDED_BEFORE_REVIEW | {
    "a_quote_above_the_review_limit_waits_then_is_offered",
    "a_receipt_the_warranty_service_refuses_leaves_the_claim_in_review",
    "a_repeat_repair_is_covered_after_the_warranty_ended",
    "a_replacement_serial_that_cannot_take_the_warranty_is_refused_and_changes_nothing",
    "a_retried_approval_is_applied_once",
    "a_review_past_its_sla_alerts_ops_once_per_round",
    "a_shadow_flag_is_recorded_and_blocks_nobody",
    "an_auto_policy_ignores_even_enforced_flags",
    "an_enforced_risk_flag_sends_a_rules_claim_to_review",
    "an_unknown_serial_without_a_receipt_is_still_rejected",
    "an_unregistered_serial_with_a_receipt_is_registered_on_approval",
    "information_never_answered_is_reminded_then_expires",
    "information_requested_answered_then_approved",
    "manual_policy_waits_for_a_person_then_approval_issues_the_label",
    "rejection_after_review_gives_its_reason",
    "review_moves_are_refused_outside_review_naming_the_state",
    "the_customer_may_cancel_while_in_review",
}


def payloads(path: Path) -> str:
    """Every payload a stored history carries (the updates' arguments, the activities' inputs), decoded."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str):
                found.append(base64.b64decode(node["data"]).decode(errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return "\n".join(found)


def stored(where: Path) -> set[str]:
    return {path.stem for path in where.glob("*.json")}


def test_every_path_has_a_stored_history() -> None:
    """Each test in test_claim_paths.py and test_claim_review_paths.py is a path of the lifecycle; each has its
    history here."""
    paths = {
        name.removeprefix("test_")
        for module in (test_claim_paths, test_claim_review_paths)
        for name in dir(module)
        if name.startswith("test_")
    }
    assert stored(HERE) == paths


def test_the_histories_from_before_notifications_are_kept() -> None:
    assert stored(BEFORE_NOTIFICATIONS) == RECORDED_BEFORE_NOTIFICATIONS


def test_the_histories_from_before_review_are_kept() -> None:
    assert stored(BEFORE_REVIEW) == RECORDED_BEFORE_REVIEW


def test_the_histories_from_before_write_behind_are_kept() -> None:
    assert stored(BEFORE_WRITE_BEHIND) == RECORDED_BEFORE_WRITE_BEHIND


def test_only_the_histories_since_the_write_behind_carry_its_marker() -> None:
    """The claims a deploy finds running wait for their records as before; every path recorded since writes them
    behind the update."""
    marker = base64.b64encode(json.dumps(WRITE_BEHIND_PATCH).encode()).decode()  # the patch id as history keeps it
    for path in BEFORE_WRITE_BEHIND.glob("*.json"):
        assert marker not in path.read_text(), path.name
    for path in HERE.glob("*.json"):
        assert marker in path.read_text(), path.name


def test_the_history_from_before_the_wake_was_suggested_to_continue_and_did_not() -> None:
    """A claim running at the deploy that had only updates changing nothing since Temporal suggested continuing as
    new: replaying it must not continue it (test_history_replays runs it)."""
    assert stored(BEFORE_WAKE) == {"updates_that_change_nothing_after_the_suggestion"}
    text = (BEFORE_WAKE / "updates_that_change_nothing_after_the_suggestion.json").read_text()
    assert text.count('"suggestContinueAsNew": true') > 10 and "CONTINUED_AS_NEW" not in text
    assert base64.b64encode(json.dumps(WAKE_TO_CONTINUE_PATCH).encode()).decode() not in text


def test_the_history_from_before_parcel_alerts_recorded_an_exception_as_a_plain_parcel_event() -> None:
    """A claim running at the deploy whose parcel was reported in trouble: replaying it must not alert anyone."""
    assert stored(BEFORE_PARCEL_ALERTS) == {"a_parcel_exception_told_nobody"}
    text = payloads(BEFORE_PARCEL_ALERTS / "a_parcel_exception_told_nobody.json")
    assert '"event":"EXCEPTION"' in text and "parcel_alert" not in text and "PARCEL_EXCEPTION" not in text
    assert PARCEL_EXCEPTION_PATCH not in text


def test_the_histories_from_before_review_never_ran_the_risk_check() -> None:
    """They are the claims a deploy finds running: replaying them must not need the new activity."""
    for path in BEFORE_REVIEW.glob("*.json"):
        assert "repairs.assess_risk" not in path.read_text(), path.name


@pytest.mark.parametrize("path", HISTORIES, ids=[str(p.relative_to(HERE)) for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(claim_workflow_id(path.stem), await asyncio.to_thread(path.read_text))
    await replayer.replay_workflow(history)

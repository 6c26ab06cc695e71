"""An update's answer is written in one commit: its changes, and the request log's answer to a retry (issue 28:
it took two, the records' and then the log's). A retry is answered from the log with no commit and no update.
Against a real database; the workflow's side is stood in for by an answer handed back as the workflow hands it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aftercare.repairs.v1 import repairs_pb2 as pb
from sqlalchemy import event

from contracts.claims import ClaimState, Event, RepairStatusUpdate, Update
from contracts.repairs import UpdateAnswer
from services.kit.auth import Principal, Role
from services.kit.db import Database
from services.repairs.persistence import MIGRATIONS
from services.repairs.persistence.repository import RepairsRepository
from services.repairs.servicer import RepairsServicer
from tests.repairs.test_activities import event as record_of
from tests.repairs.test_activities import new_claim

RMA = "RMA-0000-0001"
CENTRE = Principal(Role.CENTRE, "a")


class AnsweringWorkflows:
    """The claim's workflow as the API sees it: each update answered with the change it made."""

    def __init__(self) -> None:
        self.updates: list[str] = []

    async def update(self, rma: str, update: Update, arg: Any, *, update_id: str) -> UpdateAnswer:
        self.updates.append(update_id)
        record = record_of(rma, 2, ClaimState.DIAGNOSING)
        record.occurred_at += timedelta(seconds=1)
        return UpdateAnswer(**dict(record.status), records=[record])


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[RepairsRepository]:
    db = Database(database_url)
    await db.migrate(MIGRATIONS, "repairs")
    yield RepairsRepository(db)
    await db.dispose()


async def test_an_updates_changes_and_its_logged_answer_commit_together(repo: RepairsRepository) -> None:
    await repo.file(new_claim(RMA, "SN-1"))
    await repo.record(record_of(RMA, 1, ClaimState.RECEIVED))
    workflows = AnsweringWorkflows()
    api = RepairsServicer(repo, workflows)  # type: ignore[arg-type]
    commits: list[int] = []
    event.listen(repo.db.engine.sync_engine, "commit", lambda conn: commits.append(1))
    request = pb.UpdateRepairStatusRequest(request_id="req-1", rma=RMA, status=pb.REPAIR_STATUS_DIAGNOSING)
    arg = RepairStatusUpdate(centre_id="a", status=Event.DIAGNOSING)
    row = await repo.claim(RMA)
    assert row is not None

    answer = await api._act(CENTRE, row, request, pb.UpdateRepairStatusResponse, Update.REPAIR_STATUS, arg)
    assert len(commits) == 1, "the change and the request log in one commit"
    states = [e.state for e in answer.claim.timeline]
    assert answer.claim.state == pb.CLAIM_STATE_DIAGNOSING and states == [
        pb.CLAIM_STATE_RECEIVED,
        pb.CLAIM_STATE_DIAGNOSING,
    ]
    stored = await repo.claim(RMA)
    assert stored is not None and (stored.seq, stored.state) == (2, "DIAGNOSING")

    again = await api._act(CENTRE, row, request, pb.UpdateRepairStatusResponse, Update.REPAIR_STATUS, arg)
    assert again == answer and len(commits) == 1 and workflows.updates == [f"{CENTRE}/req-1"]
    assert not await repo.record(record_of(RMA, 2, ClaimState.DIAGNOSING)) and len(commits) == 1  # written: a read

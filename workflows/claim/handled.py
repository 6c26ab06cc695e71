"""The memory of the update ids a claim has carried out, across continue-as-new.

Temporal recognises a repeated update id only within one run, and a caller's retry may arrive after the run
that carried it out has continued as new: each run hands the ids on (`ClaimInput.handled_updates`), and an
update whose id is remembered is answered with the claim as it is, changing nothing."""

from __future__ import annotations

from temporalio import workflow

HANDLED_KEPT = 1000  # update ids carried into the next run: far more than retries could still be in flight


class HandledUpdates:
    def __init__(self, carried: list[str]) -> None:
        self._ids = list(carried)

    def current(self) -> bool:
        """Whether the update being handled was carried out already (in this run or one before a continue-as-new):
        its validator lets it through and its handler answers with the claim as it is."""
        info = workflow.current_update_info()
        return info is not None and info.id in self._ids

    def add_current(self) -> None:
        """Remember the update being handled as carried out."""
        info = workflow.current_update_info()
        if info is not None:
            self._ids.append(info.id)

    def carried(self) -> list[str]:
        """The ids the next run keeps: the latest HANDLED_KEPT."""
        return self._ids[-HANDLED_KEPT:]

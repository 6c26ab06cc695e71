"""The search attributes ops filter claims by in the Temporal UI (DESIGN.md): the one list. Registered by
`make run` on the dev server (`cli_flags`), by tests on the time-skipping server, and on any other cluster by
`aftercare temporal setup` (`registration`), which compose's setup and the Kubernetes Job run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from temporalio.common import SearchAttributeKey

from contracts.claims import WORKFLOW, ClaimState
from lifecycle.transitions import TERMINAL

CLAIM_STATE = SearchAttributeKey.for_keyword("ClaimState")
SERVICE_CENTRE_ID = SearchAttributeKey.for_keyword("ServiceCentreId")
RETAILER_ID = SearchAttributeKey.for_keyword("RetailerId")
PRODUCT_SKU = SearchAttributeKey.for_keyword("ProductSku")
SLA_DUE_AT = SearchAttributeKey.for_datetime("SlaDueAt")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
RESOLUTION = SearchAttributeKey.for_keyword("Resolution")
RISK_FLAGS = SearchAttributeKey.for_keyword_list("RiskFlags")  # RiskFlags="REPEAT_REPAIR" matches any one

ALL = (CLAIM_STATE, SERVICE_CENTRE_ID, RETAILER_ID, PRODUCT_SKU, SLA_DUE_AT, SLA_BREACHED, RESOLUTION, RISK_FLAGS)

# The names the dev server's --search-attribute flag takes for each indexed value type.
_CLI_TYPE = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}


@dataclass(frozen=True)
class Registration:
    """What registering the list on a namespace takes, given what it has: the attributes to add, those already
    there, and those there under another type (which Temporal cannot change: a person must decide)."""

    missing: dict[str, int]  # name: the IndexedValueType to add it as
    present: list[str]
    clashes: list[tuple[str, int, int]]  # name, the IndexedValueType it has, the one the list needs


def registration(existing: Mapping[str, int]) -> Registration:
    """Compare the namespace's custom search attributes (`existing`: name to IndexedValueType) with the list."""
    missing: dict[str, int] = {}
    present: list[str] = []
    clashes: list[tuple[str, int, int]] = []
    for key in ALL:
        have = existing.get(key.name)
        if have is None:
            missing[key.name] = int(key.indexed_value_type)
        elif have == key.indexed_value_type:
            present.append(key.name)
        else:
            clashes.append((key.name, have, int(key.indexed_value_type)))
    return Registration(missing, present, clashes)


def cli_flags() -> list[str]:
    """`temporal server start-dev` flags that register every attribute."""
    flags = []
    for key in ALL:
        kind = key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE[kind]}"]
    return flags


FINAL_STATES = tuple(s.value for s in ClaimState if s in TERMINAL)


def _literal(value: str) -> str:
    if not value or any(c in value for c in "\"'\\\n"):
        raise ValueError(f"not a searchable value: {value!r}")
    return f'"{value}"'


def claims_query(
    *,
    state: str = "",
    centre_id: str = "",
    retailer_id: str = "",
    sku: str = "",
    sla_breached: bool | None = None,
    open_only: bool = False,
) -> str:
    """The visibility query (the Temporal UI's filter language) for claim workflows matching every filter
    given, e.g. `WorkflowType="ClaimWorkflow" AND ClaimState="AWAITING_PARTS"`."""
    terms = [f'WorkflowType="{WORKFLOW}"']
    for key, value in (
        (CLAIM_STATE, state),
        (SERVICE_CENTRE_ID, centre_id),
        (RETAILER_ID, retailer_id),
        (PRODUCT_SKU, sku),
    ):
        if value:
            terms.append(f"{key.name}={_literal(value)}")
    if sla_breached is not None:
        terms.append(f"{SLA_BREACHED.name}={'true' if sla_breached else 'false'}")
    if open_only:  # a closed claim's workflow may still be running, finishing its messages
        terms.append('ExecutionStatus="Running"')
        terms.append(f"{CLAIM_STATE.name} NOT IN ({', '.join(_literal(s) for s in FINAL_STATES)})")
    return " AND ".join(terms)

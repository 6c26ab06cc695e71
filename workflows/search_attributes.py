"""The search attributes ops filter claims by in the Temporal UI (DESIGN.md). Registered by `make run`
on the dev server, and by tests on the time-skipping server."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CLAIM_STATE = SearchAttributeKey.for_keyword("ClaimState")
SERVICE_CENTRE_ID = SearchAttributeKey.for_keyword("ServiceCentreId")
RETAILER_ID = SearchAttributeKey.for_keyword("RetailerId")
PRODUCT_SKU = SearchAttributeKey.for_keyword("ProductSku")
SLA_DUE_AT = SearchAttributeKey.for_datetime("SlaDueAt")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
RESOLUTION = SearchAttributeKey.for_keyword("Resolution")

ALL = (CLAIM_STATE, SERVICE_CENTRE_ID, RETAILER_ID, PRODUCT_SKU, SLA_DUE_AT, SLA_BREACHED, RESOLUTION)

# The names the dev server's --search-attribute flag takes for each indexed value type.
_CLI_TYPE = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool"}


def cli_flags() -> list[str]:
    """`temporal server start-dev` flags that register every attribute."""
    flags = []
    for key in ALL:
        kind = key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE[kind]}"]
    return flags

"""The CLI's choices: every closed set of values an option or argument takes, as an Enum Typer lists in `--help`,
offers to shell completion and checks before the command runs. A wrong value is a usage error (exit 64,
EX_USAGE, as cli/main.py sets it) that names the choices; no command parses an enum by hand.

Proto enums are spelled as the CLI always spelled them: claim states and fault categories as Temporal and the UI
show them (AWAITING_PARTS, ELECTRICAL; any case), the rest in lower kebab case (quality-check, to-centre)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

import typer
from aftercare.portal.v1 import portal_pb2
from aftercare.repairs.v1 import repairs_pb2
from aftercare.warranty.v1 import warranty_pb2

from services import registry
from services.notifications.domain.messages import WEBHOOK_EVENT_TYPES
from services.repairs.domain.root_causes import CODES as ROOT_CAUSES


def kebab(name: str) -> str:
    return name.lower().replace("_", "-")


def of(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """An Enum whose members are the given spellings."""
    return StrEnum(name, {value: value for value in values})  # type: ignore[return-value]


def from_proto(name: str, enum: Any, prefix: str, *, upper: bool = False) -> type[StrEnum]:
    """A proto enum's values but UNSPECIFIED, without their prefix: `REPAIR_STATUS_QUALITY_CHECK` is
    `quality-check` (or `QUALITY_CHECK` with upper)."""
    names = tuple(v.name.removeprefix(prefix) for v in enum.DESCRIPTOR.values if v.number != 0)
    return of(name, names if upper else tuple(kebab(n) for n in names))


def to_proto(enum: Any, prefix: str, choice: StrEnum) -> int:
    """The proto enum's number of a choice."""
    number: int = enum.Value(prefix + choice.value.upper().replace("-", "_"))
    return number


def parse_one(choices: type[StrEnum], text: str, hint: str) -> StrEnum:
    """One choice inside a larger value (`retailer=manual`), any case; a wrong one is a usage error."""
    by_fold = {c.value.casefold(): c for c in choices}
    if (choice := by_fold.get(text.strip().casefold())) is None:
        raise typer.BadParameter(f"{text!r}: one of {', '.join(choices)}", param_hint=hint)
    return choice


def parse_list(choices: type[StrEnum], text: str, hint: str) -> list[StrEnum]:
    """A comma-separated list of choices (`ELECTRICAL,BATTERY`), any case; a wrong one is a usage error."""
    items = [item for item in text.split(",") if item.strip()]
    if not items:
        raise typer.BadParameter(f"a comma-separated list of {', '.join(choices)}", param_hint=hint)
    return [parse_one(choices, item, hint) for item in items]


if TYPE_CHECKING:  # for mypy every choice is a StrEnum; Typer reads the classes made below
    ApprovalMode: TypeAlias = StrEnum
    Channel: TypeAlias = StrEnum
    ClaimState: TypeAlias = StrEnum
    Direction: TypeAlias = StrEnum
    Fault: TypeAlias = StrEnum
    InfoNeeded: TypeAlias = StrEnum
    Output: TypeAlias = StrEnum
    Page: TypeAlias = StrEnum
    ParcelEvent: TypeAlias = StrEnum
    RejectionReason: TypeAlias = StrEnum
    RepairStatus: TypeAlias = StrEnum
    Service: TypeAlias = StrEnum
    SinkKind: TypeAlias = StrEnum
    Worker: TypeAlias = StrEnum
    WebhookEvent: TypeAlias = StrEnum
    RootCause: TypeAlias = StrEnum
else:
    ApprovalMode = from_proto("ApprovalMode", warranty_pb2.ApprovalMode, "APPROVAL_MODE_")
    Channel = of("Channel", ("email", "sms"))  # a customer's channels (webhooks are for retailers)
    ClaimState = from_proto("ClaimState", repairs_pb2.ClaimState, "CLAIM_STATE_", upper=True)
    Direction = from_proto("Direction", repairs_pb2.Direction, "DIRECTION_")
    Fault = from_proto("Fault", repairs_pb2.FaultCategory, "FAULT_CATEGORY_", upper=True)
    InfoNeeded = from_proto("InfoNeeded", repairs_pb2.InformationNeeded, "INFORMATION_NEEDED_")
    Output = of("Output", ("table", "json", "csv"))  # csv: the report's rows (`ops report`); others print JSON
    Page = from_proto("Page", portal_pb2.Page, "PAGE_")
    ParcelEvent = from_proto("ParcelEvent", repairs_pb2.ParcelEvent, "PARCEL_EVENT_")
    RejectionReason = from_proto("RejectionReason", repairs_pb2.RejectionReason, "REJECTION_REASON_")
    RepairStatus = from_proto("RepairStatus", repairs_pb2.RepairStatus, "REPAIR_STATUS_")
    Service = of("Service", tuple(registry.BY_NAME))
    SinkKind = of("SinkKind", ("mail", "sms", "webhooks"))
    Worker = of("Worker", ("claims",))
    WebhookEvent = of("WebhookEvent", WEBHOOK_EVENT_TYPES)
    RootCause = of("RootCause", ROOT_CAUSES)

TO_CENTRE = Direction("to-centre")  # defaults
MAIL = SinkKind("mail")

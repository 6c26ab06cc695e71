"""What a claim page shows of a claim, in the reader's language and zone: its state's view (what to do, by
when), the timeline of its moves and who made each, its parcels, its quote, what was asked and why a review
rejected it. Read from the customer-safe claim the repairs service answers the portal with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from aftercare.repairs.v1 import repairs_pb2 as rpb
from google.protobuf.timestamp_pb2 import Timestamp

from services.kit.l10n import local_time, money, reader_zone
from services.portal.domain.claim_view import ClaimFacts, moves, view
from services.portal.web import i18n
from services.portal.web.frame import enum_name

ACTORS = frozenset({"customer", "retailer", "ops", "centre", "carrier", "system", "service"})
Texts = Callable[[str], str]
When = Callable[[Timestamp], str]


def claim_context(claim: rpb.Claim, locale: str, time_zone: str) -> dict[str, Any]:
    """The claim page's variables (the frame adds the form's)."""
    t = i18n.texts(locale)
    zone = reader_zone(time_zone)

    def when(stamp: Timestamp) -> str:
        return local_time(stamp.ToDatetime(UTC), locale, zone)

    shown = view(facts(claim))
    review = claim.review
    rejected = (
        enum_name(rpb.RejectionReason, review.rejection_reason, "REJECTION_REASON_") if review.rejection_reason else ""
    )
    resolution = enum_name(rpb.Resolution, claim.resolution, "RESOLUTION_") if claim.resolution else ""
    return {
        "needed": [t(f"needed.{enum_name(rpb.InformationNeeded, n, 'INFORMATION_NEEDED_')}") for n in review.requested],
        "because": t(f"rejection.{rejected}") if rejected else "",
        "rma": claim.rma,
        "view": shown,
        "by": local_time(shown.by, locale, zone) if shown.by else "",
        "filed": when(claim.create_time),
        "timeline": list(reversed(_timeline(claim, t, when))),
        "parcels": _parcels(claim, t, when),
        "quote": _quote(claim, locale, when),
        "outcome": t(f"outcome.{resolution}") if resolution else "",
    }


def facts(claim: rpb.Claim) -> ClaimFacts:
    """What the page's view is decided from (services/portal/domain/claim_view.py)."""

    def at(message: Any, field: str) -> Any:
        return getattr(message, field).ToDatetime(UTC) if message.HasField(field) else None

    return ClaimFacts(
        state=enum_name(rpb.ClaimState, claim.state, "CLAIM_STATE_"),
        ship_by=at(claim, "ship_by_time"),
        quote_expires=at(claim.quote, "expire_time"),
        sla_due=at(claim, "sla_due_time"),
        has_quote=claim.HasField("quote"),
        feedback_given=claim.feedback_score >= 0,
        has_inbound_label=any(s.direction == rpb.DIRECTION_TO_CENTRE for s in claim.shipments),
        answer_by=at(claim, "answer_by_time"),
    )


def _timeline(claim: rpb.Claim, t: Texts, when: When) -> list[tuple[str, str, str]]:
    """The claim's moves, oldest first: when, the state it entered, and who moved it."""
    states = [enum_name(rpb.ClaimState, e.state, "CLAIM_STATE_") for e in claim.timeline]
    rows = []
    for i in moves(states):
        event = claim.timeline[i]
        by = t(f"actor.{event.actor.kind}") if event.actor.kind in ACTORS else ""
        rows.append((when(event.event_time), t(f"state.{states[i]}"), by))
    return rows


def _parcels(claim: rpb.Claim, t: Texts, when: When) -> list[dict[str, Any]]:
    return [
        {
            "direction": t(f"direction.{enum_name(rpb.Direction, s.direction, 'DIRECTION_')}"),
            "tracking": s.tracking_number,
            "events": [
                (when(e.event_time), t(f"parcel.{enum_name(rpb.ParcelEvent, e.event, 'PARCEL_EVENT_')}"))
                for e in s.events
            ],
        }
        for s in claim.shipments
    ]


def _quote(claim: rpb.Claim, locale: str, when: When) -> dict[str, str] | None:
    if not claim.HasField("quote"):
        return None
    price = claim.quote.price
    return {
        "price": money(price.amount_minor, price.currency_code, locale),
        "expires": when(claim.quote.expire_time) if claim.quote.HasField("expire_time") else "",
    }

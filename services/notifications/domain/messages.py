"""What can be sent, to whom, on which channel and in which locale. Pure rules: no I/O.

A message is asked for with a business key (for a claim: `claim-<RMA>/<seq>/<template>`); each channel and
destination it goes out on gets its own delivery key under it, and the delivery log holds one row per
delivery key. Recipients are references, never addresses: "claim:<RMA>" (the claim's customer),
"warranty:<serial>" (the warranty's owner), "retailer:<id>" (its webhook endpoints) and "ops"."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.kit.validation import Contact, takes_sms


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    WEBHOOK = "WEBHOOK"


class Category(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"  # about the customer's claim or warranty: always sent
    MARKETING = "MARKETING"  # offers: suppressed for customers who opted out
    OPERATIONAL = "OPERATIONAL"  # for ops and retailers' systems


class DeliveryState(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"
    SUPPRESSED = "SUPPRESSED"


FINAL = frozenset({DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SUPPRESSED})


class Audience(StrEnum):
    CUSTOMER = "CUSTOMER"
    RETAILER = "RETAILER"
    OPS = "OPS"


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    audience: Audience
    category: Category
    variables: frozenset[str]  # what the caller must give; all plain, none personal


def _spec(name: str, audience: Audience, category: Category, *variables: str) -> TemplateSpec:
    return TemplateSpec(name, audience, category, frozenset(variables))


_C, _T = Audience.CUSTOMER, Category.TRANSACTIONAL
ACCESS_CODE = "access_code"  # sent at once by the portal's request, never through a workflow
TEMPLATES: dict[str, TemplateSpec] = {
    s.name: s
    for s in (
        _spec("claim_accepted", _C, _T, "rma"),
        _spec("claim_rejected", _C, _T, "rma"),
        _spec("claim_under_review", _C, _T, "rma"),
        _spec("info_requested", _C, _T, "rma", "needed", "answer_by_at"),
        _spec("info_reminder", _C, _T, "rma", "needed", "answer_by_at"),
        _spec("review_rejected", _C, _T, "rma", "reason"),
        _spec("ship_reminder", _C, _T, "rma", "ship_by_at"),
        _spec("claim_expired", _C, _T, "rma"),
        _spec("claim_cancelled", _C, _T, "rma"),
        _spec("device_received", _C, _T, "rma"),
        _spec("quote_offered", _C, _T, "rma", "amount_minor", "currency", "expires_at"),
        _spec("quote_reminder", _C, _T, "rma", "amount_minor", "currency", "expires_at"),
        _spec("refund_approved", _C, _T, "rma"),
        _spec("shipped", _C, _T, "rma", "tracking_number", "resolution"),
        _spec("delivered", _C, _T, "rma"),
        _spec("survey", _C, _T, "rma"),
        _spec("claim_closed", _C, _T, "rma", "resolution"),
        _spec("extended_plan_offer", _C, Category.MARKETING, "serial", "sku", "coverage_end_at"),
        _spec(ACCESS_CODE, _C, _T, "reference", "code"),  # the portal's one-time code (services/portal)
        _spec("sla_breached", Audience.OPS, Category.OPERATIONAL, "rma", "centre_id", "due_at"),
        _spec("review_overdue", Audience.OPS, Category.OPERATIONAL, "rma", "reasons", "since_at"),
        _spec("parcel_exception", _C, _T, "rma", "tracking_number", "direction"),
        _spec("parcel_alert", Audience.OPS, Category.OPERATIONAL, "rma", "centre_id", "tracking_number", "direction"),
        _spec(
            "claim.state_changed",
            Audience.RETAILER,
            Category.OPERATIONAL,
            "rma",
            "serial",
            "sku",
            "state",
            "previous_state",
            "event",
            "occurred_at",
        ),
    )
}
# The portal page each customer message links to, as (the template's variable, the page): the portal makes a
# fresh capability link for each message (services/portal); no RMA or serial goes into a URL.
LINKS: dict[str, tuple[str, str]] = {
    "claim_accepted": ("label_url", "label"),
    "ship_reminder": ("label_url", "label"),
    "quote_offered": ("claim_url", "claim"),
    "quote_reminder": ("claim_url", "claim"),
    "survey": ("survey_url", "survey"),
    "info_requested": ("info_url", "info"),
    "info_reminder": ("info_url", "info"),
    "extended_plan_offer": ("offer_url", "warranty"),
} | {  # the rest of a claim's news: a "follow your claim" link under the text (not in the SMS)
    name: ("follow_url", "claim")
    for name in (
        "claim_rejected",
        "claim_under_review",
        "review_rejected",
        "claim_expired",
        "claim_cancelled",
        "device_received",
        "parcel_exception",
        "refund_approved",
        "shipped",
        "delivered",
        "claim_closed",
    )
}
WEBHOOK_EVENT_TYPES = tuple(name for name, s in TEMPLATES.items() if s.audience is Audience.RETAILER)
RESOLUTIONS = ("REPAIRED", "REPLACED", "REFUNDED", "RETURNED_UNREPAIRED", "EXCHANGED")

LOCALES = ("en", "fr", "ru", "ko", "ms")
DEFAULT_LOCALE = "en"


def supported_locale(tag: str) -> str:
    """The locale messages are written in for a BCP 47 tag: "fr-CA" → "fr", "ms-MY" → "ms", else "en"."""
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


class RecipientKind(StrEnum):
    CLAIM = "claim"
    WARRANTY = "warranty"
    RETAILER = "retailer"
    OPS = "ops"


_RECIPIENT = re.compile(r"^(?:(claim|warranty|retailer):([A-Za-z0-9][A-Za-z0-9._/-]{0,63})|(ops))$")


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: str = ""

    @classmethod
    def parse(cls, text: str) -> Recipient:
        match = _RECIPIENT.match(text)
        if not match:
            raise ValueError("want claim:<RMA>, warranty:<serial>, retailer:<id> or ops")
        if match.group(3):
            return cls(RecipientKind.OPS)
        return cls(RecipientKind(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else str(self.kind)


def audience_of(recipient: Recipient) -> Audience:
    return {
        RecipientKind.CLAIM: Audience.CUSTOMER,
        RecipientKind.WARRANTY: Audience.CUSTOMER,
        RecipientKind.RETAILER: Audience.RETAILER,
        RecipientKind.OPS: Audience.OPS,
    }[recipient.kind]


def check_request(template: str, recipient: str, variables: dict[str, str]) -> list[tuple[str, str]]:
    """What is wrong with a request to send `template` to `recipient`: (field, problem) pairs."""
    problems: list[tuple[str, str]] = []
    spec = TEMPLATES.get(template)
    if spec is None:
        problems.append(("template", f"unknown; one of {', '.join(sorted(TEMPLATES))}"))
    try:
        parsed = Recipient.parse(recipient)
    except ValueError as exc:
        problems.append(("recipient", str(exc)))
        parsed = None
    if spec is not None and parsed is not None and audience_of(parsed) is not spec.audience:
        problems.append(("recipient", f"{template} is for a {spec.audience.lower()} recipient"))
    if spec is not None:
        missing = sorted(spec.variables - variables.keys())
        if missing:
            problems.append(("variables", f"missing {', '.join(missing)}"))
        if "resolution" in spec.variables and variables.get("resolution", "") not in RESOLUTIONS:
            problems.append(("variables", f"resolution must be one of {', '.join(RESOLUTIONS)}"))
    for name, value in variables.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) or len(value) > 500:
            problems.append(("variables", f"{name[:40]!r}: names are snake_case, values at most 500 characters"))
    return problems


# -- who gets it, where ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """A customer's preferences; the defaults when they set none."""

    channels: tuple[Channel, ...] = ()
    locale: str = ""
    marketing_opt_out: bool = False


@dataclass(frozen=True)
class Target:
    """One delivery: a channel and its address (personal data), the masked form the log keeps, and why
    it is not sent, if it is not."""

    channel: Channel
    address: str
    destination: str
    suppressed: str = ""
    endpoint_id: str = ""


def customer_locale(contact: Contact, choices: Choices) -> str:
    return supported_locale(choices.locale or contact.locale)


def customer_targets(spec: TemplateSpec, contact: Contact, choices: Choices) -> list[Target]:
    """The channels a customer hears on: their chosen ones, else e-mail if they gave one, else SMS.
    Marketing is suppressed for those who opted out; a channel without an address, or SMS to a fixed line, is
    suppressed."""
    default = Channel.EMAIL if contact.email or not contact.phone else Channel.SMS
    targets: list[Target] = []
    for channel in _unique(choices.channels or (default,)):
        if channel is Channel.WEBHOOK:
            continue
        address = contact.email if channel is Channel.EMAIL else contact.phone
        reason = ""
        if spec.category is Category.MARKETING and choices.marketing_opt_out:
            reason = "OPTED_OUT"
        elif not address:
            reason = "NO_ADDRESS"
        elif channel is Channel.SMS and not takes_sms(address):
            reason = "NOT_A_MOBILE"  # said before anything is tried: an SMS to a fixed line is lost
        targets.append(Target(channel, address, mask(channel, address), reason))
    return targets


def _unique(channels: Iterable[Channel]) -> list[Channel]:
    return list(dict.fromkeys(channels))


def mask(channel: Channel, address: str) -> str:
    """What the delivery log and API show of an address: enough to recognise it, not to use it."""
    if not address:
        return ""
    if channel is Channel.EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel is Channel.SMS:
        return address[:3] + "*" * max(len(address) - 5, 0) + address[-2:]
    return address


def delivery_key(event_key: str, target: Target) -> str:
    suffix = f"webhook/{target.endpoint_id}" if target.channel is Channel.WEBHOOK else target.channel.lower()
    return f"{event_key}/{suffix}"


def message_id(key: str) -> str:
    """The message id a delivery key always gets: a resend after a crash carries the same id (the e-mail
    Message-ID, the webhook-id header, the SMS client reference), so a receiver can tell it apart."""
    digest = hashlib.sha256(key.encode()).digest()
    return "msg_" + base64.b32encode(digest[:16]).decode().rstrip("=").lower()

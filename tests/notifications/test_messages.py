"""Who hears on which channel: preferences, defaults, opt-outs, masks and message ids (pure rules)."""

from __future__ import annotations

import pytest

from services.kit.validation import Contact
from services.notifications.domain.messages import (
    TEMPLATES,
    Channel,
    Choices,
    Recipient,
    RecipientKind,
    Target,
    check_request,
    customer_locale,
    customer_targets,
    delivery_key,
    mask,
    message_id,
    supported_locale,
)

BOTH = Contact(email="jo@example.com", phone="+447400765432", locale="ko-KR")
TRANSACTIONAL, MARKETING = TEMPLATES["device_received"], TEMPLATES["extended_plan_offer"]


def channels(targets: list[Target]) -> list[tuple[str, str]]:
    return [(t.channel.value, t.suppressed) for t in targets]


def test_without_preferences_email_is_used_else_sms() -> None:
    assert channels(customer_targets(TRANSACTIONAL, BOTH, Choices())) == [("EMAIL", "")]
    assert channels(customer_targets(TRANSACTIONAL, Contact(phone="+447400765432"), Choices())) == [("SMS", "")]
    assert channels(customer_targets(TRANSACTIONAL, Contact(), Choices())) == [("EMAIL", "NO_ADDRESS")]


def test_chosen_channels_are_used_in_order_once_and_never_webhooks() -> None:
    chosen = Choices(channels=(Channel.SMS, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK))
    assert channels(customer_targets(TRANSACTIONAL, BOTH, chosen)) == [("SMS", ""), ("EMAIL", "")]
    only_sms = Choices(channels=(Channel.SMS,))
    assert channels(customer_targets(TRANSACTIONAL, Contact(email="jo@example.com"), only_sms)) == [
        ("SMS", "NO_ADDRESS")
    ]


@pytest.mark.parametrize("opted_out", [False, True])
def test_an_opt_out_suppresses_marketing_and_nothing_else(opted_out: bool) -> None:
    prefs = Choices(channels=(Channel.EMAIL, Channel.SMS), marketing_opt_out=opted_out)
    assert channels(customer_targets(TRANSACTIONAL, BOTH, prefs)) == [("EMAIL", ""), ("SMS", "")]
    expected = "OPTED_OUT" if opted_out else ""
    assert channels(customer_targets(MARKETING, BOTH, prefs)) == [("EMAIL", expected), ("SMS", expected)]


def test_locale_comes_from_preferences_then_contact_then_english() -> None:
    assert customer_locale(BOTH, Choices()) == "ko"
    assert customer_locale(BOTH, Choices(locale="ms-MY")) == "ms"
    assert customer_locale(Contact(locale="pt-BR"), Choices()) == "en"
    assert [supported_locale(t) for t in ("FR", "ru_RU", "", "zz")] == ["fr", "ru", "en", "en"]


def test_masks_show_enough_to_recognise_and_not_to_use() -> None:
    assert mask(Channel.EMAIL, "jo@example.com") == "j***@example.com"
    assert mask(Channel.SMS, "+447400765432") == "+44********32"
    assert mask(Channel.EMAIL, "") == ""


def test_message_ids_are_stable_per_delivery_key_and_distinct_across_keys() -> None:
    email = delivery_key("claim-RMA-1/3/device_received", Target(Channel.EMAIL, "a", "a"))
    hook = delivery_key("claim-RMA-1/3/device_received", Target(Channel.WEBHOOK, "u", "whe_1", endpoint_id="whe_1"))
    assert (email, hook) == ("claim-RMA-1/3/device_received/email", "claim-RMA-1/3/device_received/webhook/whe_1")
    assert message_id(email) == message_id(email) != message_id(hook)
    assert message_id(email).startswith("msg_") and len(message_id(email)) == 30


def test_recipients_parse_and_print() -> None:
    assert Recipient.parse("claim:RMA-7KQM-X3TD") == Recipient(RecipientKind.CLAIM, "RMA-7KQM-X3TD")
    assert str(Recipient.parse("ops")) == "ops"
    for bad in ("jo@example.com", "claim:", "retailer", "customer:1"):
        with pytest.raises(ValueError):
            Recipient.parse(bad)


def test_a_send_request_is_checked_field_by_field() -> None:
    assert check_request("device_received", "claim:RMA-1", {"rma": "RMA-1"}) == []
    problems = dict(check_request("nope", "jo@example.com", {}))
    assert set(problems) == {"template", "recipient"}
    assert check_request("device_received", "claim:RMA-1", {}) == [("variables", "missing rma")]
    assert check_request("sla_breached", "claim:RMA-1", {"rma": "R", "centre_id": "c", "due_at": "x"}) == [
        ("recipient", "sla_breached is for a ops recipient")
    ]
    assert ("variables", "resolution must be one of REPAIRED, REPLACED, REFUNDED, RETURNED_UNREPAIRED, EXCHANGED") in (
        check_request("claim_closed", "claim:RMA-1", {"rma": "R", "resolution": "FIXED"})
    )


def test_sms_to_a_fixed_line_is_suppressed_before_it_is_tried() -> None:
    landline = Contact(phone="+33142685300", locale="fr")
    assert channels(customer_targets(TRANSACTIONAL, landline, Choices())) == [("SMS", "NOT_A_MOBILE")]
    both = Contact(email="jo@example.com", phone="+33142685300", locale="fr")
    chosen = Choices(channels=(Channel.EMAIL, Channel.SMS))
    assert channels(customer_targets(TRANSACTIONAL, both, chosen)) == [("EMAIL", ""), ("SMS", "NOT_A_MOBILE")]

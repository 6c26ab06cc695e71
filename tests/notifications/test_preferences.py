"""Preferences through the API: AIP-134 field masks (an empty mask updates the fields that are set, `*`
replaces all) and the one locale parser (issue 13, items 5 and 10)."""

from __future__ import annotations

import grpc
from aftercare.notifications.v1 import notifications_pb2 as npb
from google.protobuf import field_mask_pb2

from tests.notifications.test_delivery import owner
from tests.rpc import failure
from tests.stack import RETAILER, Stack, new_id

EMAIL, SMS = npb.CHANNEL_EMAIL, npb.CHANNEL_SMS


async def update(stack: Stack, customer: str, mask: list[str] | None = None, **fields: object) -> npb.Preferences:
    request = npb.UpdatePreferencesRequest(
        request_id=new_id(),
        preferences=npb.Preferences(customer_id=customer, **fields),  # type: ignore[arg-type]
    )
    if mask is not None:
        request.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=mask))
    answer = await stack.notifications.UpdatePreferences(request, metadata=stack.as_(RETAILER))
    return answer.preferences


async def test_an_empty_mask_changes_only_the_fields_that_are_set(stack: Stack) -> None:
    _, customer = await owner(stack)
    await update(stack, customer, ["channels", "marketing_opt_out"], channels=[SMS], marketing_opt_out=True)
    after = await update(stack, customer, locale="ko")  # no mask: only the locale is set
    assert (list(after.channels), after.locale, after.marketing_opt_out) == ([SMS], "ko", True)


async def test_a_star_mask_replaces_every_field(stack: Stack) -> None:
    _, customer = await owner(stack)
    await update(stack, customer, ["channels", "marketing_opt_out"], channels=[SMS], marketing_opt_out=True)
    after = await update(stack, customer, ["*"], locale="ms")
    assert (list(after.channels), after.locale, after.marketing_opt_out) == ([], "ms", False)


async def test_a_named_mask_changes_what_it_names_even_to_empty(stack: Stack) -> None:
    _, customer = await owner(stack)
    await update(stack, customer, ["channels", "locale"], channels=[EMAIL, SMS], locale="fr")
    after = await update(stack, customer, ["channels"], locale="ru")  # the locale is set but not named
    assert (list(after.channels), after.locale) == ([], "fr")


async def test_locales_have_one_answer_everywhere(stack: Stack) -> None:
    _, customer = await owner(stack)
    assert (await update(stack, customer, ["locale"], locale="ms_MY")).locale == "ms-MY"
    refused = await failure(
        stack.notifications.UpdatePreferences(
            npb.UpdatePreferencesRequest(
                request_id=new_id(),
                preferences=npb.Preferences(customer_id=customer, locale="xx-YY"),
                update_mask=field_mask_pb2.FieldMask(paths=["locale"]),
            ),
            metadata=stack.as_(RETAILER),
        )
    )
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT and "preferences.locale" in refused.fields


async def test_a_claim_filed_with_ms_my_is_taken_and_xx_yy_refused(stack: Stack) -> None:
    from tests.stack import claim_request, new_serial

    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file_claim(claim_request(serial, locale="ms_MY"))
    assert claim.rma
    other = new_serial()
    await stack.sale(other)
    refused = await failure(stack.repairs.FileClaim(claim_request(other, locale="xx-YY"), metadata=stack.as_(RETAILER)))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT and set(refused.fields) == {"contact.locale"}

"""The opening every mutating RPC shares (services/kit/rpc.py): the caller, the roles allowed, the request id."""

from __future__ import annotations

import contextvars

import pytest

from services.kit.auth import Principal, Role, set_principal
from services.kit.errors import PermissionDenied
from services.kit.rpc import opening


def as_caller(principal: str, request_id: str, *roles: Role) -> tuple[Principal, list[tuple[str, str]]]:
    """`opening` called in a fresh context as `principal`: the caller it found and the violations it began."""

    def call() -> tuple[Principal, list[tuple[str, str]]]:
        set_principal(Principal.parse(principal))
        caller, v = opening(request_id, *roles)
        return caller, [(item.field, item.description) for item in v.items]

    return contextvars.copy_context().run(call)


def test_an_allowed_caller_with_a_good_request_id_starts_with_no_violation() -> None:
    caller, found = as_caller("retailer:shop-1", "8d0c2b1e-6a57-4a0f-9a2e-3f1f0c7c9b10", Role.RETAILER, Role.OPS)
    assert (caller, found) == (Principal(Role.RETAILER, "shop-1"), [])


@pytest.mark.parametrize("request_id", ["", "has space", "x" * 129, "semi;colon"])
def test_a_request_id_that_is_not_one_is_named(request_id: str) -> None:
    _, found = as_caller("ops", request_id, Role.OPS)
    assert [field for field, _ in found] == ["request_id"]


def test_a_role_not_allowed_is_refused_before_anything_is_checked() -> None:
    with pytest.raises(PermissionDenied) as refused:
        as_caller("centre:berlin-1", "", Role.RETAILER, Role.OPS)
    assert refused.value.reason == "ROLE_NOT_ALLOWED" and "ops, retailer" in str(refused.value)

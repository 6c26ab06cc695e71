"""Grants (services/kit/grants.py): what the portal signs and the services check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kit import grants
from services.kit.auth import key_digest
from services.kit.errors import NotFound, PermissionDenied
from services.kit.grants import Grant, Purpose, Subject

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
KEY = key_digest("ak_portal_secret")
GRANT = Grant(Subject.CLAIM, "RMA-AAAA-BBBB", frozenset({Purpose.CLAIM}), NOW + timedelta(minutes=1), "cus_1")


def test_a_signed_grant_is_read_back_until_it_expires() -> None:
    text = grants.sign(GRANT, KEY)
    assert grants.verify(text, KEY, NOW) == GRANT
    assert grants.verify(text, KEY, NOW + timedelta(minutes=1)) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t.split(".")[0],
        lambda t: "x" + t,
        lambda t: "",
        lambda t: "not.base64!",
        lambda t: (
            grants.sign(Grant(Subject.CLAIM, "RMA-OTHER", GRANT.purposes, GRANT.expires_at), KEY).split(".")[0]
            + "."
            + t.split(".")[1]
        ),
    ],
)
def test_a_changed_or_forged_grant_is_nothing(tamper: object) -> None:
    assert callable(tamper)
    assert grants.verify(tamper(grants.sign(GRANT, KEY)), KEY, NOW) is None


def test_a_grant_signed_with_another_key_is_nothing() -> None:
    assert grants.verify(grants.sign(GRANT, key_digest("another key")), KEY, NOW) is None


def test_the_current_grant_decides_what_the_portal_may_touch() -> None:
    grants.set_grant(GRANT)
    assert grants.grants(Subject.CLAIM, "RMA-AAAA-BBBB")
    assert not grants.grants(Subject.CLAIM, "RMA-AAAA-CCCC")
    assert not grants.grants(Subject.WARRANTY, "RMA-AAAA-BBBB", Purpose.WARRANTY)
    with pytest.raises(NotFound):
        grants.require(Subject.CLAIM, "RMA-AAAA-CCCC", Purpose.CLAIM, "claim")
    with pytest.raises(PermissionDenied):
        grants.require(Subject.CLAIM, "RMA-AAAA-BBBB", Purpose.SURVEY, "claim")
    grants.set_grant(None)
    assert not grants.grants(Subject.CLAIM, "RMA-AAAA-BBBB")

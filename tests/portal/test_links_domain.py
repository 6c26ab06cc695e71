"""The rules of links, one-time codes and sessions (services/portal/domain/links.py), exhaustively."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kit.grants import Purpose, Subject
from services.portal.domain import links
from services.portal.domain.links import Dead, LinkFacts, Page

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
GRACE = timedelta(days=30)
LIVE = LinkFacts(expires_at=NOW + timedelta(days=1), revoked=False, customer_id="cus_a")


def test_a_token_is_192_random_bits_and_only_its_hash_is_kept() -> None:
    tokens = {links.new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(len(t) == 32 and links.looks_like_token(t) for t in tokens)
    token = next(iter(tokens))
    assert links.token_hash(token) == links.token_hash(token) and token not in links.token_hash(token)
    assert len(links.token_hash(token)) == 64


@pytest.mark.parametrize("text", ["", "a" * 31, "a" * 33, "a" * 31 + "/", "a" * 31 + "é", "a" * 31 + "."])
def test_what_is_not_shaped_like_a_token_is_not_looked_up(text: str) -> None:
    assert not links.looks_like_token(text)


@pytest.mark.parametrize(
    ("facts", "owner", "ended", "dead"),
    [
        (None, "cus_a", None, Dead.UNKNOWN),
        (LinkFacts(NOW + timedelta(days=1), True, "cus_a"), "cus_a", None, Dead.REVOKED),
        (LinkFacts(NOW, False, "cus_a"), "cus_a", None, Dead.EXPIRED),  # expiry is exclusive
        (LinkFacts(NOW + timedelta(seconds=1), False, "cus_a"), "cus_a", None, None),
        (LIVE, "cus_a", NOW - GRACE, Dead.CLOSED),  # the grace ends exactly now
        (LIVE, "cus_a", NOW - GRACE + timedelta(seconds=1), None),
        (LIVE, "cus_b", None, Dead.NEW_OWNER),
        (LIVE, "", None, None),  # the owner is not known now: the link stands
        (LinkFacts(NOW + timedelta(days=1), False, ""), "cus_b", None, None),  # made before the owner was known
        (LIVE, "cus_a", None, None),
    ],
)
def test_why_a_link_stops_working(
    facts: LinkFacts | None, owner: str, ended: datetime | None, dead: Dead | None
) -> None:
    assert links.why_dead(facts, NOW, owner_now=owner, ended_at=ended, grace=GRACE) is dead


def test_each_subject_lands_on_a_page_it_has() -> None:
    assert links.landing(Subject.CLAIM, Page.LABEL) is Page.LABEL
    assert links.landing(Subject.CLAIM, None) is Page.CLAIM
    assert links.landing(Subject.CLAIM, Page.WARRANTY) is Page.CLAIM
    assert links.landing(Subject.WARRANTY, Page.LABEL) is Page.WARRANTY
    assert links.landing(Subject.WARRANTY, Page.PREFERENCES) is Page.PREFERENCES
    assert Purpose.PREFERENCES in links.purposes_for(Subject.CLAIM) & links.purposes_for(Subject.WARRANTY)
    assert Purpose.PLAN not in links.purposes_for(Subject.CLAIM) and Purpose.CLAIM not in links.purposes_for(
        Subject.WARRANTY
    )


def test_codes_are_six_digits_and_typed_forms_are_read() -> None:
    codes = {links.new_code() for _ in range(300)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 250
    assert links.normal_code(" 123 456 ") == "123456" and links.normal_code("123-456") == "123456"
    for wrong in ("12345", "1234567", "12a456", "١٢٣٤٥٦", ""):
        assert links.normal_code(wrong) is None
    assert links.code_hash("123456", "salt-a") != links.code_hash("123456", "salt-b")


@pytest.mark.parametrize(
    ("tries", "used", "expires_in", "usable"),
    [(0, False, 60, True), (4, False, 60, True), (5, False, 60, False), (0, True, 60, False), (0, False, 0, False)],
)
def test_a_code_works_five_tries_ten_minutes_once(tries: int, used: bool, expires_in: int, usable: bool) -> None:
    code = links.CodeFacts(expires_at=NOW + timedelta(seconds=expires_in), tries=tries, used=used)
    assert links.code_usable(code, NOW) is usable


def test_codes_are_limited_per_subject_and_per_client() -> None:
    assert links.may_send_code(0, 0) and links.may_send_code(2, 9)
    assert not links.may_send_code(3, 0) and not links.may_send_code(0, 10)


def test_what_a_customer_types_says_whether_it_is_a_claim_or_a_warranty() -> None:
    assert links.subject_of("RMA-7KQM-X3TD") is Subject.CLAIM and links.subject_of(" rma-7kqm-x3td") is Subject.CLAIM
    assert links.subject_of("SN-0001") is Subject.WARRANTY and links.subject_of("RMAX-1") is Subject.WARRANTY

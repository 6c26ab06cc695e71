"""The portal's texts (services/portal/locales): every locale has every key with the same placeholders, and
the reader's language is picked as browsers ask for it."""

from __future__ import annotations

import string

import pytest
from aftercare.repairs.v1 import repairs_pb2 as rpb

from contracts.claims import ClaimState, Resolution
from services.portal.web import i18n
from services.portal.web.claim_context import ACTORS


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", [loc for loc in i18n.LOCALES if loc != "en"])
def test_each_locale_has_exactly_the_english_keys_and_placeholders(locale: str) -> None:
    english, other = i18n.catalog("en"), i18n.catalog(locale)
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key
        assert other[key].strip(), key


def test_every_state_and_outcome_has_words() -> None:
    english = i18n.catalog("en")
    for state in ClaimState:
        assert f"state.{state.value}" in english and f"next.{state.value}" in english
    for resolution in Resolution:
        assert f"outcome.{resolution.value}" in english
    assert "state.EXPIRED_UNANSWERED" in english and "next.EXPIRED_UNANSWERED" in english


def test_every_information_need_rejection_reason_and_actor_has_words() -> None:
    english = i18n.catalog("en")
    for need in rpb.InformationNeeded.keys()[1:]:
        assert f"needed.{need.removeprefix('INFORMATION_NEEDED_')}" in english
    for reason in rpb.RejectionReason.keys()[1:]:
        assert f"rejection.{reason.removeprefix('REJECTION_REASON_')}" in english
    for kind in ACTORS:
        assert f"actor.{kind}" in english


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,de;q=0.9", None),
        ("de;q=1, ko;q=0.5, ru;q=0.6", "ru"),
        ("ms-MY", "ms"),
        ("en;q=0, fr;q=0.1", "fr"),
        ("xx-YY, *;q=0.5", None),
        ("ko;q=abc, ru", "ru"),
        ("", None),
    ],
)
def test_accept_language_picks_the_best_supported_language(header: str, locale: str | None) -> None:
    assert i18n.from_accept_language(header) == locale


def test_every_notice_and_problem_a_page_can_show_has_words() -> None:
    from services.portal.web.claim_pages import PHOTO_PROBLEMS
    from services.portal.web.frame import DONE

    english = i18n.catalog("en")
    assert all(f"done.{what}" in english for what in DONE)
    assert all(f"photos.{what}" in english for what in PHOTO_PROBLEMS)

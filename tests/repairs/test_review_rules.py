"""The review rules, exhaustively at their boundaries: the approval policy's routing, each risk rule firing and
not firing, allow and block lists, shadow mode, the rules file, and the rules report. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState, Event, RiskFlag
from lifecycle.review import outcome, review_reasons, rules_report
from services.repairs.domain import risk
from services.repairs.domain.risk import BadRules, Code, Facts, Lists, Mode, PriorClaim, Rule, RuleSet, rules_from

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def facts(**fields: object) -> Facts:
    base: dict[str, object] = {"now": NOW, "serial": "SN-1", "customer_id": "cus_1", "retailer_id": "acme"}
    return Facts(**(base | fields))  # type: ignore[arg-type]


def only(code: Code, **fields: object) -> RuleSet:
    return RuleSet((Rule(code, **fields),))  # type: ignore[arg-type]


def fired(rules: RuleSet, f: Facts) -> list[str]:
    return [flag.code for flag in risk.evaluate(rules, f)]


# -- the approval policy -----------------------------------------------------------------------------------

ENFORCED = RiskFlag(code="REPEAT_REPAIR", version=1, enforced=True, sentence="s")
SHADOW = RiskFlag(code="HIGH_VALUE_EARLY", version=1, enforced=False, sentence="s")


@pytest.mark.parametrize(
    ("mode", "pending", "flags", "want"),
    [
        ("AUTO", Event.APPROVED, [], []),
        ("AUTO", Event.APPROVED, [ENFORCED], []),  # AUTO never reviews for a rule
        ("MANUAL", Event.APPROVED, [], ["MANUAL_POLICY"]),
        ("MANUAL", Event.QUOTE_OFFERED, [], ["MANUAL_POLICY"]),
        ("MANUAL", Event.APPROVED, [ENFORCED], ["MANUAL_POLICY"]),  # one reason is enough
        ("RULES", Event.APPROVED, [], []),
        ("RULES", Event.APPROVED, [SHADOW], []),  # shadow: recorded, never enforced
        ("RULES", Event.APPROVED, [ENFORCED, SHADOW], ["REPEAT_REPAIR"]),
        ("RULES", Event.APPROVED, [ENFORCED, ENFORCED], ["REPEAT_REPAIR"]),
        ("MANUAL", Event.REJECTED, [ENFORCED], []),  # a refusal is never reviewed
        ("RULES", Event.REJECTED, [ENFORCED], []),
    ],
)
def test_the_approval_policy_routes_a_claim(mode: str, pending: Event, flags: list[RiskFlag], want: list[str]) -> None:
    assert review_reasons(mode, pending, flags) == want


@pytest.mark.parametrize(
    ("quote", "limit", "reviewed"), [(20_001, 20_000, True), (20_000, 20_000, False), (50_000, 0, False)]
)
def test_a_quote_is_reviewed_only_above_the_limit(quote: int, limit: int, reviewed: bool) -> None:
    reasons = review_reasons("AUTO", Event.QUOTE_OFFERED, [], quote_minor=quote, review_above_minor=limit)
    assert reasons == (["QUOTE_ABOVE_LIMIT"] if reviewed else [])
    assert review_reasons("AUTO", Event.APPROVED, [], quote_minor=quote, review_above_minor=limit) == []


# -- each rule at its boundary -----------------------------------------------------------------------------


def prior(days: float, fault: str = "DISPLAY", **fields: object) -> PriorClaim:
    return PriorClaim(rma=f"RMA-{days}", filed_at=days_ago(days), fault_category=fault, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("earlier", "fires"),
    [
        ([prior(10), prior(300)], True),  # this is the third within 365 days
        ([prior(10)], False),  # the second
        ([prior(10), prior(365)], False),  # the older one is exactly 365 days old: outside
        ([prior(10), prior(364.99)], True),
    ],
)
def test_the_nth_claim_on_one_serial_within_the_window(earlier: list[PriorClaim], fires: bool) -> None:
    rules = only(Code.CLAIM_FREQUENCY, claims=3, days=365)
    assert fired(rules, facts(prior=tuple(earlier))) == (["CLAIM_FREQUENCY"] if fires else [])


def repaired(days: float, fault: str = "DISPLAY", resolution: str = "REPAIRED") -> PriorClaim:
    return PriorClaim(
        rma="RMA-OLD",
        filed_at=days_ago(days + 20),
        fault_category=fault,
        resolution=resolution,
        closed_at=days_ago(days),
    )


@pytest.mark.parametrize(
    ("earlier", "fires"),
    [
        (repaired(90), True),  # closed exactly 90 days ago: inside
        (repaired(90.01), False),
        (repaired(5, fault="BATTERY"), False),  # another fault
        (repaired(5, resolution="REPLACED"), False),  # not a repair
        (repaired(5, resolution=""), False),  # not closed (the unit is not back)
        (repaired(-1), False),  # "closed" in the future: a clock error, not a repeat
    ],
)
def test_a_repeat_repair_of_the_same_fault(earlier: PriorClaim, fires: bool) -> None:
    f = facts(fault_category="DISPLAY", prior=(earlier,))
    assert fired(only(Code.REPEAT_REPAIR, days=90), f) == (["REPEAT_REPAIR"] if fires else [])
    assert (risk.repeat_of(f, 90) is not None) is fires


def test_the_latest_repair_is_the_one_repeated() -> None:
    f = facts(fault_category="DISPLAY", prior=(repaired(60), repaired(10)))
    found = risk.repeat_of(f, 90)
    assert found is not None and found.closed_at == days_ago(10)


@pytest.mark.parametrize(
    ("value", "sold_days_ago", "fires"),
    [
        (50_000, 14, True),  # both at the boundary
        (49_999, 1, False),
        (50_000, 14.01, False),
        (90_000, 0, True),
    ],
)
def test_a_valuable_unit_claimed_soon_after_its_sale(value: int, sold_days_ago: float, fires: bool) -> None:
    rules = only(Code.HIGH_VALUE_EARLY, days=14, min_value_minor=50_000)
    f = facts(unit_value_minor=value, purchased_at=days_ago(sold_days_ago))
    assert fired(rules, f) == (["HIGH_VALUE_EARLY"] if fires else [])
    assert fired(rules, facts(unit_value_minor=value)) == [], "no sale date, no judgement"


@pytest.mark.parametrize(
    ("lists", "fires"),
    [
        (Lists(block_serials=frozenset({"SN-1"})), True),
        (Lists(block_customers=frozenset({"cus_1"})), True),
        (Lists(block_retailers=frozenset({"acme"})), True),
        (Lists(block_serials=frozenset({"SN-2"})), False),
        (Lists(block_customers=frozenset({""})), False),
    ],
)
def test_the_block_list(lists: Lists, fires: bool) -> None:
    assert fired(RuleSet((Rule(Code.BLOCK_LIST),), lists), facts()) == (["BLOCK_LIST"] if fires else [])


def test_an_allow_list_skips_every_rule() -> None:
    everything = facts(prior=(prior(1), prior(2), repaired(3)), fault_category="DISPLAY")
    blocked = Lists(block_serials=frozenset({"SN-1"}))
    assert len(fired(RuleSet(lists=blocked), everything)) >= 3
    for allow in ({"allow_serials": {"SN-1"}}, {"allow_customers": {"cus_1"}}, {"allow_retailers": {"acme"}}):
        lists = Lists(block_serials=frozenset({"SN-1"}), **{k: frozenset(v) for k, v in allow.items()})
        assert fired(RuleSet(lists=lists), everything) == [], allow


def test_shadow_rules_flag_without_enforcing_and_off_rules_do_not_run() -> None:
    f = facts(prior=(prior(1), prior(2)))
    (flag,) = risk.evaluate(only(Code.CLAIM_FREQUENCY, mode=Mode.SHADOW, version=4), f)
    assert (flag.code, flag.version, flag.enforced) == ("CLAIM_FREQUENCY", 4, False)
    assert "claim 3 on this serial within 365 days" in flag.sentence
    assert risk.evaluate(only(Code.CLAIM_FREQUENCY, mode=Mode.OFF), f) == []


def test_every_rule_has_a_judge_and_a_default() -> None:
    assert {r.code for r in risk.DEFAULT_RULES} == set(Code)


# -- the rules file ----------------------------------------------------------------------------------------


def test_the_rules_file_overrides_the_defaults() -> None:
    rules = rules_from(
        {
            "rules": {"REPEAT_REPAIR": {"mode": "shadow", "version": 2, "days": 30}},
            "lists": {"block_serials": [" sn-9 "], "allow_customers": ["cus_vip"]},
        }
    )
    repeat = rules.rule(Code.REPEAT_REPAIR)
    assert repeat is not None and (repeat.mode, repeat.version, repeat.days) == (Mode.SHADOW, 2, 30)
    assert rules.rule(Code.CLAIM_FREQUENCY) == Rule(Code.CLAIM_FREQUENCY, claims=3, days=365)
    assert rules.lists.block_serials == {"SN-9"} and rules.lists.allow_customers == {"cus_vip"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rule": {}}, "unknown section 'rule'"),
        ({"rules": {"NOPE": {}}}, "no rule 'NOPE'"),
        ({"rules": {"REPEAT_REPAIR": {"mode": "loud"}}}, "mode: one of enforce, shadow, off"),
        ({"rules": {"REPEAT_REPAIR": {"days": 0}}}, "days: a whole number of at least 1"),
        ({"rules": {"REPEAT_REPAIR": {"colour": 1}}}, "unknown setting 'colour'"),
        ({"lists": {"block_phones": ["x"]}}, "lists.block_phones"),
        ({"lists": {"block_serials": "SN-1"}}, "a list of non-empty strings"),
    ],
)
def test_a_wrong_rules_file_is_refused_naming_what_is_wrong(config: dict[str, object], message: str) -> None:
    with pytest.raises(BadRules, match=message):
        rules_from(config)


# -- the rules report --------------------------------------------------------------------------------------


def test_the_report_counts_each_rule_version_and_mode_by_outcome() -> None:
    v1 = RiskFlag(code="REPEAT_REPAIR", version=1, enforced=False, sentence="s")
    v2 = RiskFlag(code="REPEAT_REPAIR", version=2, enforced=True, sentence="s")
    freq = RiskFlag(code="CLAIM_FREQUENCY", version=1, enforced=True, sentence="s")
    report = rules_report(
        [
            ([v1], ClaimState.CLOSED),
            ([v1, freq], ClaimState.REJECTED),
            ([v1, v1], ClaimState.AWAITING_REVIEW),  # counted once per claim
            ([v2], ClaimState.CANCELLED),
            ([freq], ClaimState.AWAITING_SHIPMENT),
        ]
    )
    rows = [(r.code, r.version, r.enforced, r.fired, r.approved, r.rejected, r.pending, r.other) for r in report]
    assert rows == [
        ("CLAIM_FREQUENCY", 1, True, 2, 1, 1, 0, 0),
        ("REPEAT_REPAIR", 1, False, 3, 1, 1, 1, 0),
        ("REPEAT_REPAIR", 2, True, 1, 0, 0, 0, 1),
    ]


S = ClaimState
OUTCOMES = {  # how a flagged claim in each state counts in the report, written out by hand
    "pending": {S.SUBMITTED, S.AWAITING_REVIEW, S.AWAITING_CUSTOMER_INFO},
    "rejected": {S.REJECTED},
    "other": {S.CANCELLED, S.EXPIRED},
}


@pytest.mark.parametrize("state", list(ClaimState))
def test_every_state_counts_as_its_outcome(state: ClaimState) -> None:
    want = next((name for name, states in OUTCOMES.items() if state in states), "approved")
    assert outcome(state) == want

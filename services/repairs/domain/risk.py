"""Risk rules: which claims a person should look at before the label is issued. Pure: the facts are gathered
by the `repairs.assess_risk` activity, the rules below only judge them. (A replacement serial
registered to someone else is not a risk to weigh but a move that cannot happen: the claim workflow refuses
that diagnosis, REPLACEMENT_REFUSED.)

Each rule has a reason code, a version and a mode: `enforce` (a flag sends the claim to review when the
approval policy is RULES), `shadow` (the flag is recorded on the timeline and counted by `aftercare ops rules
report`, and sends nothing to review) or `off`. Changing what a rule does means a new version, so the report
never mixes two rules under one name. An allow-listed serial, customer or retailer skips every rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from contracts.claims import RiskFlag


class Code(StrEnum):
    CLAIM_FREQUENCY = "CLAIM_FREQUENCY"  # the Nth claim on one serial within a window
    REPEAT_REPAIR = "REPEAT_REPAIR"  # a claim soon after a closed repair of the same fault
    HIGH_VALUE_EARLY = "HIGH_VALUE_EARLY"  # a valuable unit, claimed soon after its sale
    BLOCK_LIST = "BLOCK_LIST"  # a serial, customer or retailer on the block list


class Mode(StrEnum):
    ENFORCE = "enforce"
    SHADOW = "shadow"
    OFF = "off"


@dataclass(frozen=True)
class PriorClaim:
    """Another claim on the same serial."""

    rma: str
    filed_at: datetime
    fault_category: str
    resolution: str = ""  # REPAIRED, ... once closed
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    now: datetime
    serial: str
    customer_id: str = ""
    retailer_id: str = ""
    fault_category: str = ""
    purchased_at: datetime | None = None
    unit_value_minor: int = 0  # the product's value in its policy's currency; 0: unknown
    prior: tuple[PriorClaim, ...] = ()


@dataclass(frozen=True)
class Rule:
    code: Code
    version: int = 1
    mode: Mode = Mode.ENFORCE
    claims: int = 3  # CLAIM_FREQUENCY: the Nth claim fires
    days: int = 365  # CLAIM_FREQUENCY's window, REPEAT_REPAIR's and HIGH_VALUE_EARLY's
    min_value_minor: int = 50_000  # HIGH_VALUE_EARLY


@dataclass(frozen=True)
class Lists:
    block_serials: frozenset[str] = frozenset()
    block_customers: frozenset[str] = frozenset()
    block_retailers: frozenset[str] = frozenset()
    allow_serials: frozenset[str] = frozenset()
    allow_customers: frozenset[str] = frozenset()
    allow_retailers: frozenset[str] = frozenset()

    def allows(self, facts: Facts) -> bool:
        return (
            facts.serial in self.allow_serials
            or (facts.customer_id != "" and facts.customer_id in self.allow_customers)
            or (facts.retailer_id != "" and facts.retailer_id in self.allow_retailers)
        )


DEFAULT_RULES = (
    Rule(Code.CLAIM_FREQUENCY, claims=3, days=365),
    Rule(Code.REPEAT_REPAIR, days=90),
    Rule(Code.HIGH_VALUE_EARLY, mode=Mode.SHADOW, days=14, min_value_minor=50_000),
    Rule(Code.BLOCK_LIST),
)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = DEFAULT_RULES
    lists: Lists = field(default_factory=Lists)

    def rule(self, code: Code) -> Rule | None:
        return next((r for r in self.rules if r.code is code), None)


# -- the rules: each answers None (did not fire) or its sentence -------------------------------------------


def _frequency(rule: Rule, f: Facts) -> str | None:
    since = f.now - timedelta(days=rule.days)
    count = 1 + sum(1 for p in f.prior if p.filed_at > since)
    if count < rule.claims:
        return None
    return f"claim {count} on this serial within {rule.days} days (the rule looks at the {rule.claims}th)"


def repeat_of(f: Facts, days: int) -> PriorClaim | None:
    """The latest closed repair of the same fault within `days` before now, or None."""
    since = f.now - timedelta(days=days)
    repairs = [
        p
        for p in f.prior
        if p.resolution == "REPAIRED"
        and p.closed_at is not None
        and since <= p.closed_at <= f.now
        and p.fault_category == f.fault_category
    ]
    return max(repairs, key=lambda p: p.closed_at or f.now, default=None)


def _repeat(rule: Rule, f: Facts) -> str | None:
    prior = repeat_of(f, rule.days)
    if prior is None or prior.closed_at is None:
        return None
    after = (f.now - prior.closed_at).days
    return f"the same {f.fault_category} fault was repaired under {prior.rma}, {after} days ago"


def _high_value(rule: Rule, f: Facts) -> str | None:
    if f.purchased_at is None or f.unit_value_minor < rule.min_value_minor:
        return None
    age = f.now - f.purchased_at
    if age > timedelta(days=rule.days):
        return None
    return f"a unit worth {f.unit_value_minor} (minor units) claimed {age.days} days after its sale"


def _blocked(rule: Rule, f: Facts, lists: Lists) -> str | None:
    for what, value, blocked in (
        ("serial", f.serial, lists.block_serials),
        ("customer", f.customer_id, lists.block_customers),
        ("retailer", f.retailer_id, lists.block_retailers),
    ):
        if value and value in blocked:
            return f"the {what} is on the block list"
    return None


_JUDGES: Mapping[Code, Callable[[Rule, Facts, Lists], str | None]] = {
    Code.CLAIM_FREQUENCY: lambda r, f, _: _frequency(r, f),
    Code.REPEAT_REPAIR: lambda r, f, _: _repeat(r, f),
    Code.HIGH_VALUE_EARLY: lambda r, f, _: _high_value(r, f),
    Code.BLOCK_LIST: _blocked,
}


def evaluate(rules: RuleSet, facts: Facts) -> list[RiskFlag]:
    """Every rule that fires on these facts, in the rule set's order, enforced or in shadow; none when an
    allow list names the serial, the customer or the retailer."""
    if rules.lists.allows(facts):
        return []
    flags = []
    for rule in rules.rules:
        if rule.mode is Mode.OFF:
            continue
        sentence = _JUDGES[rule.code](rule, facts, rules.lists)
        if sentence is not None:
            flags.append(
                RiskFlag(code=rule.code, version=rule.version, enforced=rule.mode is Mode.ENFORCE, sentence=sentence)
            )
    return flags


# -- configuration -----------------------------------------------------------------------------------------

_LISTS = tuple(Lists.__dataclass_fields__)
_RULE_FIELDS = {"version", "mode", "claims", "days", "min_value_minor"}


class BadRules(ValueError):
    pass


def rules_from(config: Mapping[str, Any]) -> RuleSet:
    """A rule set from its TOML form: `[rules.CODE]` tables (version, mode, and the rule's numbers) over the
    defaults, and a `[lists]` table of block_/allow_ serials, customers and retailers. BadRules names the
    first thing wrong."""
    unknown = set(config) - {"rules", "lists"}
    if unknown:
        raise BadRules(f"unknown section {sorted(unknown)[0]!r}: expected [rules.CODE] and [lists]")
    rules = {r.code: r for r in DEFAULT_RULES}
    for name, given in dict(config.get("rules", {})).items():
        rules[_code(name)] = replace(rules[_code(name)], **_rule_settings(name, given))
    return RuleSet(tuple(rules[r.code] for r in DEFAULT_RULES), _lists(dict(config.get("lists", {}))))


def _code(name: str) -> Code:
    if name not in Code.__members__:
        raise BadRules(f"no rule {name!r}: one of {', '.join(Code)}")
    return Code(name)


def _rule_settings(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """One `[rules.CODE]` table's settings, checked: a known mode, whole numbers of at least 1."""
    extra = set(given) - _RULE_FIELDS
    if extra:
        raise BadRules(f"rules.{name}: unknown setting {sorted(extra)[0]!r}")
    values = dict(given)
    if "mode" in values:
        if values["mode"] not in Mode.__members__.values():
            raise BadRules(f"rules.{name}.mode: one of enforce, shadow, off")
        values["mode"] = Mode(values["mode"])
    for number in ("version", "claims", "days", "min_value_minor"):
        if number in values and (not isinstance(values[number], int) or values[number] < 1):
            raise BadRules(f"rules.{name}.{number}: a whole number of at least 1")
    return values


def _lists(lists: Mapping[str, Any]) -> Lists:
    """The `[lists]` table: each a known list of non-empty strings (serials upper-cased)."""
    for name, values in lists.items():
        if name not in _LISTS:
            raise BadRules(f"lists.{name}: one of {', '.join(_LISTS)}")
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise BadRules(f"lists.{name}: a list of non-empty strings")
    return Lists(
        **{
            name: frozenset(v.strip().upper() if "serial" in name else v.strip() for v in values)
            for name, values in lists.items()
        }
    )

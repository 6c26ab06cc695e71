"""RMA numbers, centre choice and tracking numbers: pure rules."""

from __future__ import annotations

import pytest

from services.kit.errors import Violations
from services.repairs.carriers import check_digit
from services.repairs.domain.centres import Centre, Load, check_centre, choose
from services.repairs.domain.rma import ALPHABET, canonical_rma, new_rma


def test_an_rma_number_is_short_readable_and_random() -> None:
    numbers = {new_rma() for _ in range(2000)}
    assert len(numbers) == 2000  # 40 random bits: no collisions at this size
    for rma in list(numbers)[:50]:
        assert len(rma) == 13 and rma[:4] == "RMA-" and rma[8] == "-"
        assert set(rma[4:8] + rma[9:]) <= set(ALPHABET)  # no I, L, O or U to misread
    assert new_rma(0) == "RMA-0000-0000" and new_rma(2**40 - 1) == "RMA-ZZZZ-ZZZZ"


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("RMA-7KQM-X3TD", "RMA-7KQM-X3TD"),
        ("rma-7kqm-x3td", "RMA-7KQM-X3TD"),
        (" rma 7kqm x3td ", "RMA-7KQM-X3TD"),
        ("RMA7KQMX3TD", "RMA-7KQM-X3TD"),
        ("RMA-7KQM-X3TO", "RMA-7KQM-X3T0"),  # O read as zero
        ("RMA-1LIO-0000", "RMA-1110-0000"),
    ],
)
def test_a_typed_rma_number_reads_as_the_printed_one(typed: str, printed: str) -> None:
    assert canonical_rma(typed) == printed


@pytest.mark.parametrize("typed", ["", "RMA-", "RMA-7KQM-X3T", "RMA-7KQM-X3TDD", "RMA-7KQU-X3TD", "XYZ-7KQM-X3TD"])
def test_what_cannot_be_an_rma_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="RMA-"):
        canonical_rma(typed)


def centre(id: str, region: str = "DE", categories: tuple[str, ...] = ("kettle",), capacity: int = 10) -> Centre:
    return Centre(id, id.title(), region, categories, capacity)


def test_the_centre_with_the_least_load_for_its_capacity_is_chosen() -> None:
    loads = [Load(centre("a", capacity=10), 5), Load(centre("b", capacity=40), 10), Load(centre("c", capacity=2), 0)]
    assert choose(loads, "DE", "kettle") == centre("c", capacity=2)  # 0/2 beats 10/40 beats 5/10
    loads[2] = Load(centre("c", capacity=2), 2)
    assert choose(loads, "DE", "kettle") == centre("b", capacity=40)


def test_ties_go_by_id_and_only_fitting_centres_count() -> None:
    loads = [
        Load(centre("z"), 0),
        Load(centre("y"), 0),
        Load(centre("fr", region="FR"), 0),
        Load(centre("tv", categories=("tv",)), 0),
    ]
    assert choose(loads, "DE", "kettle") == centre("y")
    assert choose(loads, "FR", "kettle") == centre("fr", region="FR")
    assert choose(loads, "IT", "kettle") is None  # nothing fits: the claim waits for ops
    assert choose(loads, "DE", "phone") is None


def test_a_centre_is_validated_field_by_field() -> None:
    v = Violations()
    check_centre(v, id="Bad Id!", display_name="", region="Germany", categories=[], daily_capacity=0)
    assert {x.field for x in v.items} == {
        "centre.id",
        "centre.display_name",
        "centre.region",
        "centre.categories",
        "centre.daily_capacity",
    }
    ok = Violations()
    made = check_centre(
        ok, id="berlin-1", display_name="Berlin", region="de", categories=["TV", "tv"], daily_capacity=5
    )
    assert not ok and made.region == "DE" and made.categories == ("tv",)


@pytest.mark.parametrize(("digits", "check"), [("7992739871", 3), ("00000000000", 0), ("12345678901", 5)])
def test_tracking_numbers_carry_a_luhn_check_digit(digits: str, check: int) -> None:
    assert check_digit(digits) == check

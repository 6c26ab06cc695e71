"""The layout check (tools/check_imports.py) finds each kind of wrong arrow, and the project has none."""

from __future__ import annotations

from pathlib import Path

from tools.check_imports import breaches, complex_functions, long_files, oversized

ROOT = Path(__file__).resolve().parent.parent.parent


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CLEAN = {
    "contracts/claims.py": "from pydantic import BaseModel\n",
    "services/kit/errors.py": "import grpc\n",
    "lifecycle/transitions.py": "from contracts.claims import X\n",
    "lifecycle/notices.py": "from contracts.claims import X\nfrom lifecycle.transitions import TERMINAL\n",
    "services/repairs/domain/risk.py": "from lifecycle import transitions\nfrom services.kit.errors import E\n",
    "services/repairs/servicer.py": "import grpc\nfrom services.repairs.domain import risk\nfrom lifecycle import x\n",
    "services/warranty/servicer.py": "from services.kit import errors\n",
    "workflows/claim.py": "from temporalio import workflow\nfrom lifecycle.transitions import next_state\n",
    "cli/main.py": "from workflows import claim\nfrom services import registry\n",
    "services/registry.py": "from services.kit import errors\n",
}


def test_a_tree_that_keeps_the_rules_passes(tmp_path: Path) -> None:
    assert breaches(tree(tmp_path, CLEAN)) == []


def test_each_wrong_arrow_is_named(tmp_path: Path) -> None:
    wrong = {
        **CLEAN,
        "services/repairs/servicer.py": "from workflows.claim import ClaimWorkflow\n",
        "services/notifications/servicer.py": "from services.warranty.domain import sales\n",
        "services/kit/settings.py": "from services.repairs import servicer\n",
        "contracts/claims.py": "import sqlalchemy\n",
        "services/warranty/domain/sales.py": "import grpc\nfrom services.warranty.persistence import tables\n",
        "workflows/claim.py": "from services.repairs.servicer import RepairsServicer\n",
        "workflows/reminders.py": "from services.warranty.domain.reminders import WINDOW\n",
        "lifecycle/notices.py": "from services.kit.errors import E\n",
        "lifecycle/sla.py": "from temporalio import workflow\n",
    }
    found = "\n".join(breaches(tree(tmp_path, wrong)))
    assert "services/repairs/servicer.py: imports workflows.claim (a service imports no workflows" in found
    assert "services/notifications/servicer.py: imports services.warranty.domain (a service imports" in found
    assert "services/kit/settings.py: imports services.repairs (the kit imports no service" in found
    assert "contracts/claims.py: imports sqlalchemy (contracts are pure" in found
    assert "services/warranty/domain/sales.py: imports grpc (a domain package is pure)" in found
    assert "services/warranty/domain/sales.py: imports services.warranty.persistence (a domain package" in found
    assert "workflows/claim.py: imports services.repairs.servicer (workflows import contracts" in found
    assert "workflows/reminders.py: imports services.warranty.domain.reminders (workflows import contracts" in found
    assert "lifecycle/notices.py: imports services.kit.errors (the lifecycle is pure" in found
    assert "lifecycle/sla.py: imports temporalio (the lifecycle is pure" in found
    assert "circle between rooms:" in found  # kit -> repairs -> workflows -> repairs


def test_a_circle_between_rooms_is_named(tmp_path: Path) -> None:
    circle = {**CLEAN, "cli/main.py": "from bench import b\n", "bench/b.py": "from cli import main\n"}
    assert "circle between rooms: bench -> cli -> bench" in breaches(tree(tmp_path, circle))


def test_a_room_over_a_quarter_of_the_lines_is_named(tmp_path: Path) -> None:
    big = {**CLEAN, "cli/main.py": "x = 1\n" * 100}
    assert [b.split(" holds")[0] for b in oversized(tree(tmp_path, big))] == ["room cli"]


def test_a_file_over_400_lines_is_named(tmp_path: Path) -> None:
    long = {**CLEAN, "services/repairs/servicer.py": "x = 1\n" * 401, "cli/main.py": "x = 1\n" * 400}
    assert long_files(tree(tmp_path, long)) == ["services/repairs/servicer.py has 401 lines (at most 400)"]


def _branches(n: int, *, joined: str = "") -> str:
    """A function of complexity n + 1: n ifs (or, with `joined`, one if of n conditions)."""
    if joined:
        return "def f(a):\n    if " + f" {joined} ".join(f"a == {i}" for i in range(n)) + ":\n        return 1\n"
    return "def f(a):\n" + "".join(f"    if a == {i}:\n        return {i}\n" for i in range(n))


def test_a_function_over_complexity_15_is_named_with_and_or_counted(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "services/kit/a.py": _branches(14),  # 15: allowed
        "services/kit/b.py": _branches(15),  # 16
        "services/kit/c.py": _branches(15, joined="or"),  # one if and 14 ors: 16, as radon counts it
        "tests/test_d.py": "def test_d(a):\n" + "    assert a\n" * 30,  # asserts are checks, not branches
    }
    found = complex_functions(tree(tmp_path, files))
    assert found == [
        "services/kit/b.py:1 f has complexity 16 (at most 15)",
        "services/kit/c.py:1 f has complexity 16 (at most 15)",
    ]


def test_the_project_keeps_the_rules() -> None:
    assert breaches(ROOT) == [] and oversized(ROOT) == []
    assert long_files(ROOT) == [] and complex_functions(ROOT) == []

"""The layout check (tools/check_imports.py) finds each kind of wrong arrow, and the project has none."""

from __future__ import annotations

from pathlib import Path

from tools.check_imports import breaches, oversized

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
    "services/repairs/domain/claims.py": "from contracts.claims import X\nfrom services.kit.errors import E\n",
    "services/repairs/servicer.py": "import grpc\nfrom services.repairs.domain import claims\n",
    "services/warranty/servicer.py": "from services.kit import errors\n",
    "workflows/claim.py": "from temporalio import workflow\nfrom services.repairs.domain.claims import next_state\n",
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
    }
    found = "\n".join(breaches(tree(tmp_path, wrong)))
    assert "services/repairs/servicer.py: imports workflows.claim (a service imports no workflows" in found
    assert "services/notifications/servicer.py: imports services.warranty.domain (a service imports" in found
    assert "services/kit/settings.py: imports services.repairs (the kit imports no service" in found
    assert "contracts/claims.py: imports sqlalchemy (contracts are pure" in found
    assert "services/warranty/domain/sales.py: imports grpc (a domain package is pure)" in found
    assert "services/warranty/domain/sales.py: imports services.warranty.persistence (a domain package" in found
    assert "workflows/claim.py: imports services.repairs.servicer (workflows import contracts" in found
    assert "circle between rooms:" in found  # kit -> repairs -> workflows -> repairs


def test_a_circle_between_rooms_is_named(tmp_path: Path) -> None:
    circle = {**CLEAN, "cli/main.py": "from bench import b\n", "bench/b.py": "from cli import main\n"}
    assert "circle between rooms: bench -> cli -> bench" in breaches(tree(tmp_path, circle))


def test_a_room_over_a_quarter_of_the_lines_is_named(tmp_path: Path) -> None:
    big = {**CLEAN, "cli/main.py": "x = 1\n" * 100}
    assert [b.split(" holds")[0] for b in oversized(tree(tmp_path, big))] == ["room cli"]


def test_the_project_keeps_the_rules() -> None:
    assert breaches(ROOT) == [] and oversized(ROOT) == []

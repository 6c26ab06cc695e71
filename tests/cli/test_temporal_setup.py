"""`aftercare temporal setup` registers the one list of search attributes (workflows/search_attributes.py) on a
real Temporal dev server, idempotently, refusing a name taken under another type; and every deploy file runs the
command instead of naming attributes of its own (a missing RiskFlags once stalled every flagged claim)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.api.enums.v1 import IndexedValueType
from typer.testing import CliRunner, Result

from cli.main import app
from tests.conftest import TEMPORAL_DEV_SERVER, dev_server, free_port
from workflows import search_attributes as sa

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
K = IndexedValueType


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A dev server with no custom search attributes, and the namespaces `fresh` and `clash` (ClaimState taken
    there as an Int)."""
    log = tmp_path_factory.mktemp("temporal-bare") / "server.log"
    with dev_server(log, "--namespace", "fresh", "--namespace", "clash") as address:
        taken = [TEMPORAL_DEV_SERVER, "operator", "search-attribute", "create", "--address", address]
        subprocess.run([*taken, "--namespace", "clash", "--name", "ClaimState", "--type", "Int"], check=True)
        yield address


def setup(address: str, namespace: str, *args: str) -> Result:
    env = {"AFTERCARE_TEMPORAL_ADDRESS": address, "AFTERCARE_TEMPORAL_NAMESPACE": namespace}
    return CliRunner().invoke(app, ["temporal", "setup", *args], env=env)


def test_the_first_run_adds_the_whole_list_and_the_second_changes_nothing(bare_server: str) -> None:
    first = setup(bare_server, "fresh")
    assert first.exit_code == 0, first.output
    assert [line.split()[1] for line in first.output.splitlines() if line.startswith("added")] == [
        k.name for k in sa.ALL
    ]
    assert "added          RiskFlags (KEYWORD_LIST)" in first.output
    assert f"{len(sa.ALL)} added, 0 already there, 0 clashes" in first.output
    again = setup(bare_server, "fresh")
    assert again.exit_code == 0, again.output
    assert f"0 added, {len(sa.ALL)} already there, 0 clashes" in again.output


def test_a_name_taken_under_another_type_is_refused_and_the_rest_are_added(bare_server: str) -> None:
    result = setup(bare_server, "clash")
    assert result.exit_code == 1
    assert "type clash     ClaimState is INT there; the claims need KEYWORD" in result.output
    assert f"{len(sa.ALL) - 1} added, 0 already there, 1 clashes" in result.output


def test_a_namespace_that_does_not_exist_is_named(bare_server: str) -> None:
    result = setup(bare_server, "no-such-namespace")
    assert result.exit_code == 1 and "Temporal refused: NOT_FOUND" in result.output


def test_a_temporal_that_does_not_answer_exits_unavailable() -> None:
    result = setup(f"127.0.0.1:{free_port()}", "default", "--wait", "0")
    assert result.exit_code == 69 and "does not answer" in result.output


@pytest.mark.parametrize(
    ("existing", "missing", "present", "clashes"),
    [
        ({}, [k.name for k in sa.ALL], [], []),
        ({k.name: int(k.indexed_value_type) for k in sa.ALL}, [], [k.name for k in sa.ALL], []),
        ({"RiskFlags": K.INDEXED_VALUE_TYPE_KEYWORD, "Other": K.INDEXED_VALUE_TYPE_INT}, None, [], ["RiskFlags"]),
    ],
)
def test_what_a_namespace_needs(existing: dict[str, int], missing: Any, present: list[str], clashes: list[str]) -> None:
    plan = sa.registration(existing)
    assert list(plan.missing) == (missing if missing is not None else [k.name for k in sa.ALL if k.name != "RiskFlags"])
    assert plan.present == present and [name for name, _, _ in plan.clashes] == clashes
    assert plan.missing.get("RiskFlags", K.INDEXED_VALUE_TYPE_KEYWORD_LIST) == K.INDEXED_VALUE_TYPE_KEYWORD_LIST


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_compose_and_kubernetes_run_the_command_and_name_no_attribute_of_their_own() -> None:
    infra = yaml.safe_load((DEPLOY / "compose/compose.infra.yaml").read_text())["services"]
    setup_service = infra["temporal-setup"]
    assert setup_service["command"] == ["temporal", "setup"]
    assert setup_service["image"] == infra["sinks"]["image"]  # the Aftercare image, whose entrypoint is aftercare
    for layout in ("compose.yaml", "compose.split.yaml"):
        text = (DEPLOY / "compose" / layout).read_text()
        assert "temporal-setup:\n      condition: service_completed_successfully" in text, layout
    (job,) = [d for d in _documents(DEPLOY / "k8s/temporal-setup.yaml") if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["temporal", "setup"]
    assert {"configMapRef": {"name": "aftercare-config"}} in container["envFrom"]  # the services' address, namespace
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        named = [k.name for k in sa.ALL if k.name in path.read_text()]
        assert named == [], f"{path.relative_to(ROOT)} names {named}: run `aftercare temporal setup` instead"

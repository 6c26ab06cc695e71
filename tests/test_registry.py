"""services/registry.py is the one list of services: every service folder is in it, and everything that starts
a service follows it (the CLI, `make run`, the compose files and the Kubernetes manifests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.choices import Service
from cli.dev import processes
from services import registry
from services.kit.service import ServiceApp

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = [pytest.param(entry, id=entry.name) for entry in registry.SERVICES]


def compose(name: str) -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "deploy/compose" / name).read_text())["services"]
    return services


def test_every_service_folder_is_registered() -> None:
    folders = {p.parent.name for p in (ROOT / "services").glob("*/server.py")}
    assert folders == set(registry.BY_NAME)


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_names_its_app(entry: registry.Entry) -> None:
    app = entry.app_type()
    assert issubclass(app, ServiceApp) and app.name == entry.name
    assert entry.settings(grpc_port=None).grpc_port == entry.port
    assert len({e.port for e in registry.SERVICES}) == len(registry.SERVICES)


def test_the_cli_and_make_run_start_what_the_registry_lists(tmp_path: Path) -> None:
    assert tuple(registry.BY_NAME) == tuple(Service)
    started = {p.name: p for p in processes(tmp_path)}
    for entry in registry.SERVICES:
        assert started[entry.name].argv[-2:] == ["serve", entry.name] and entry.port in started[entry.name].ports


@pytest.mark.parametrize("entry", ENTRIES)
def test_compose_runs_each_service(entry: registry.Entry) -> None:
    whole = compose("compose.yaml")[entry.name]
    assert whole["command"] == ["serve", entry.name] and f"{entry.port}:{entry.port}" in whole["ports"]
    if entry.http_port:
        assert f"{entry.http_port}:{entry.http_port}" in whole["ports"]
    split = compose("compose.split.yaml")
    assert split[f"{entry.name}-api"]["command"] == ["serve", entry.name, "--no-worker"]
    assert split[f"{entry.name}-api"]["ports"] == [str(entry.port)] + (
        [str(entry.http_port)] if entry.http_port else []
    )
    if entry.app_type().task_queue:  # a service with activities runs its worker apart
        assert split[f"{entry.name}-worker"]["command"] == ["serve", entry.name, "--no-api"]
    else:
        assert f"{entry.name}-worker" not in split


@pytest.mark.parametrize("entry", ENTRIES)
def test_kubernetes_runs_each_service(entry: registry.Entry) -> None:
    documents = list(yaml.safe_load_all((ROOT / "deploy/k8s" / f"{entry.name}.yaml").read_text()))
    containers = [
        c for d in documents if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]
    ]
    worker = {("serve", entry.name, "--no-api")} if entry.app_type().task_queue else set()
    assert {tuple(c["args"]) for c in containers} == {("serve", entry.name, "--no-worker"), *worker}
    for container in containers:
        grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
        assert grpc_port == entry.port


def test_the_image_exposes_every_port_the_registry_and_the_metrics_use() -> None:
    """The Dockerfile's EXPOSE names each service's gRPC port, each web port, and the metrics ports the deploy
    files set (AFTERCARE_METRICS_PORT, and the Temporal SDK's on the next port): no more, no fewer."""
    lines = (ROOT / "deploy/Dockerfile").read_text().splitlines()
    exposed = {int(port) for line in lines if line.startswith("EXPOSE ") for port in line.split()[1:]}
    config = yaml.safe_load((ROOT / "deploy/k8s/config.yaml").read_text())["data"]
    metrics = int(config["AFTERCARE_METRICS_PORT"])
    wanted = {e.port for e in registry.SERVICES} | {e.http_port for e in registry.SERVICES if e.http_port}
    assert exposed == wanted | {metrics, metrics + 1}

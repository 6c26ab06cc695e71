"""The one registry of services: their names, default gRPC ports and apps. The service loop (`aftercare serve`),
`make run` (`cli/dev.py`), the CLI's targets, the test stack and the deploy check (tests/test_registry.py)
all read it, so a new service is one folder plus one line here (and its deploy entries).

Apps are named by import path and loaded on use: listing services imports none of them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from services.kit.service import ServiceApp
from services.kit.settings import Settings


@dataclass(frozen=True)
class Entry:
    name: str
    port: int  # its gRPC port (AFTERCARE_GRPC_PORT overrides it)
    app: str  # "module:ServiceApp subclass"
    dev_env: dict[str, str] = field(default_factory=dict)  # what `make run` sets for it besides the defaults
    http_port: int = 0  # its web port, if it serves one (AFTERCARE_HTTP_PORT overrides it)

    def app_type(self) -> type[ServiceApp]:
        module, _, name = self.app.partition(":")
        app: type[ServiceApp] = getattr(importlib.import_module(module), name)
        return app

    def settings(self, **overrides: Any) -> Settings:
        """Its settings, from the environment and `overrides` (e.g. grpc_port=0 in tests)."""
        return self.app_type().settings_type.for_service(self.name, self.port, **overrides)

    def build(self, settings: Settings | None = None, **overrides: Any) -> ServiceApp:
        """The app (inside the event loop that will run it: its gRPC server binds to that loop)."""
        return self.app_type()(settings or self.settings(**overrides))


SERVICES = (
    Entry("warranty", 50051, "services.warranty.server:WarrantyApp"),
    Entry("repairs", 50052, "services.repairs.server:RepairsApp"),
    Entry(
        "notifications",
        50053,
        "services.notifications.server:NotificationsApp",
        dev_env={"AFTERCARE_WEBHOOK_DEV_TARGETS": "true"},  # the demo's webhook receiver is on localhost
    ),
    Entry("portal", 50054, "services.portal.server:PortalApp", http_port=8080),
)
BY_NAME = {entry.name: entry for entry in SERVICES}
PORTS = {entry.name: entry.port for entry in SERVICES}


def entry(name: str) -> Entry:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; one of: {', '.join(BY_NAME)}") from None

"""Where a process reaches Temporal (services/kit/temporal.py `target`): the AFTERCARE_TEMPORAL_* settings it was
given, and for what they leave unset the SDK's standard environment configuration (TEMPORAL_* variables and a
TEMPORAL_PROFILE of the TEMPORAL_CONFIG_FILE), as Temporal's own CLI and SDKs read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.settings import Settings
from services.kit.temporal import Target, connect, target


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TEMPORAL_* or AFTERCARE_TEMPORAL_* variable, and an empty config file (not the developer's own)."""
    import os

    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "AFTERCARE_TEMPORAL_")):
            monkeypatch.delenv(name)
    config = tmp_path / "temporal.toml"
    config.write_text("")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    return config


def test_with_nothing_set_it_is_the_local_default() -> None:
    assert target(Settings()) == Target("localhost:7233", "default", None, False)


def test_the_sdk_variables_are_taken_when_ours_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "ns.acct.tmprl.cloud:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "ns.acct")
    monkeypatch.setenv("TEMPORAL_API_KEY", "sdk-key")
    assert target(Settings()) == Target("ns.acct.tmprl.cloud:7233", "ns.acct", "sdk-key", True)


def test_ours_win_over_the_sdk_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "sdk:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "sdk-ns")
    monkeypatch.setenv("TEMPORAL_API_KEY", "sdk-key")
    monkeypatch.setenv("AFTERCARE_TEMPORAL_ADDRESS", "ours:7233")
    monkeypatch.setenv("AFTERCARE_TEMPORAL_API_KEY", "our-key")
    # our address and key; the namespace we left unset comes from the SDK's variables
    assert target(Settings()) == Target("ours:7233", "sdk-ns", "our-key", True)


def test_a_profile_of_the_config_file(monkeypatch: pytest.MonkeyPatch, clean_environment: Path) -> None:
    clean_environment.write_text(
        '[profile.default]\naddress = "dev:7233"\n\n[profile.prod]\naddress = "prod:7233"\nnamespace = "claims-prod"\n'
    )
    assert target(Settings()).address == "dev:7233"
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    assert target(Settings()) == Target("prod:7233", "claims-prod", None, False)


async def test_a_process_given_only_the_sdk_address_connects(
    monkeypatch: pytest.MonkeyPatch, temporal_dev_server: str
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_dev_server)
    client = await connect(Settings())
    assert await client.service_client.check_health()
    assert client.namespace == "default"

"""How a process connects to a Temporal cluster or Temporal Cloud: TLS from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from services.kit.settings import Settings
from services.kit.temporal import tls_config


def test_local_dev_server_is_plain() -> None:
    assert tls_config(Settings()) is False


def test_an_api_key_implies_tls_as_temporal_cloud_requires() -> None:
    assert tls_config(Settings(temporal_api_key="k")) is True
    assert tls_config(Settings(temporal_tls=True)) is True


def test_mtls_reads_the_certificate_and_key(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_bytes(b"CERT")
    (tmp_path / "k.pem").write_bytes(b"KEY")
    tls = tls_config(Settings(temporal_tls_cert=tmp_path / "c.pem", temporal_tls_key=tmp_path / "k.pem"))
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (b"CERT", b"KEY", None)


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_bytes(b"CERT")
    with pytest.raises(ValueError, match="go together"):
        tls_config(Settings(temporal_tls_cert=tmp_path / "c.pem"))

"""TLS and mTLS on the gRPC APIs, for internal clients and for the CLI (issue 13, item 16): with a certificate a
service answers only over TLS; with a client CA only callers holding a certificate it signed."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

import grpc
import pytest
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from cli.main import app as cli
from devtools.keys import ensure_dev_keys
from services import registry
from services.kit.grpc_server import aio_channel, channel_credentials, server_credentials
from services.kit.settings import Settings


def issue(
    path: Path, name: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca[0].subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True)
    )
    if ca is not None:
        san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    cert = builder.sign(ca[1] if ca else key, hashes.SHA256())
    (path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (path / f"{name}.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, key


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    ca = issue(tmp_path, "ca", None)
    issue(tmp_path, "server", ca)
    issue(tmp_path, "client", ca)
    issue(tmp_path, "stranger", issue(tmp_path, "other-ca", None))  # signed by a CA the server does not trust
    return tmp_path


async def serve(pki: Path, **tls: Any) -> tuple[Any, int, dict[str, str]]:
    keys = dict(ensure_dev_keys(pki / "api-keys.json"))
    app = registry.entry("warranty").build(
        var_dir=pki,
        grpc_port=0,
        database_url=f"sqlite+aiosqlite:///{pki / 'w.db'}",
        grpc_tls_cert=pki / "server.pem",
        grpc_tls_key=pki / "server.key",
        **tls,
    )
    return app, await app.start(), keys


async def works(port: int, keys: dict[str, str], credentials: grpc.ChannelCredentials | None) -> bool:
    address = f"localhost:{port}"
    channel = (
        grpc.aio.insecure_channel(address) if credentials is None else grpc.aio.secure_channel(address, credentials)
    )
    async with channel:
        try:
            await warranty_pb2_grpc.WarrantyServiceStub(channel).ListProducts(
                pb.ListProductsRequest(), metadata=[("authorization", f"Bearer {keys['ops']}")], timeout=3
            )
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            return False
    return True


async def test_with_a_certificate_the_api_answers_only_over_tls(pki: Path) -> None:
    app, port, keys = await serve(pki)
    try:
        assert await works(port, keys, channel_credentials(pki / "ca.pem"))
        assert not await works(port, keys, None)  # plaintext is refused
        assert not await works(port, keys, channel_credentials(pki / "other-ca.pem"))  # a certificate it cannot trust
        internal = aio_channel(f"localhost:{port}", Settings(grpc_client_tls_ca=pki / "ca.pem"))  # service to service
        async with internal:
            stub = warranty_pb2_grpc.WarrantyServiceStub(internal)
            await stub.ListProducts(pb.ListProductsRequest(), metadata=[("authorization", f"Bearer {keys['service']}")])
        ok = await asyncio.to_thread(
            CliRunner().invoke, cli, ["--tls-ca", str(pki / "ca.pem"), "health", f"localhost:{port}"]
        )
        assert (ok.exit_code, ok.output.strip()) == (0, f"localhost:{port}: SERVING")
    finally:
        await app.stop()


async def test_with_a_client_ca_only_callers_it_signed_get_in(pki: Path) -> None:
    app, port, keys = await serve(pki, grpc_tls_client_ca=pki / "ca.pem")
    try:
        assert not await works(port, keys, channel_credentials(pki / "ca.pem"))  # no client certificate
        assert not await works(
            port, keys, channel_credentials(pki / "ca.pem", pki / "stranger.pem", pki / "stranger.key")
        )
        assert await works(port, keys, channel_credentials(pki / "ca.pem", pki / "client.pem", pki / "client.key"))
    finally:
        await app.stop()


def test_half_a_tls_configuration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("x")
    with pytest.raises(ValueError, match="go together"):
        server_credentials(Settings(grpc_tls_cert=tmp_path / "c.pem"))
    with pytest.raises(ValueError, match="needs AFTERCARE_GRPC_TLS_CERT"):
        server_credentials(Settings(grpc_tls_client_ca=tmp_path / "c.pem"))
    assert server_credentials(Settings()) is None

"""The package's declared dependencies fit its code: the lower bounds of protobuf and grpcio are the versions
the committed generated code was made for, and the dev sinks' servers are an extra, not a runtime dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
GENERATED = ROOT / "protos" / "gen" / "python" / "aftercare"


def lower_bound(package: str) -> tuple[int, ...]:
    (spec,) = [d for d in PROJECT["dependencies"] if re.match(rf"{package}\b(?![-_])", d)]
    match = re.search(r">=\s*([\d.]+)", spec)
    assert match, f"{package} needs a lower bound: {spec}"
    return tuple(int(x) for x in match.group(1).split("."))


def version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def test_protobuf_and_grpcio_bounds_match_the_generated_code() -> None:
    pb2 = (GENERATED / "warranty" / "v1" / "warranty_pb2.py").read_text()
    grpc2 = (GENERATED / "warranty" / "v1" / "warranty_pb2_grpc.py").read_text()
    protobuf = re.search(r"# Protobuf Python Version: ([\d.]+)", pb2)
    grpcio = re.search(r"GRPC_GENERATED_VERSION = '([\d.]+)'", grpc2)
    assert protobuf and grpcio
    assert lower_bound("protobuf") >= version(protobuf.group(1))
    assert lower_bound("grpcio") >= version(grpcio.group(1))


def test_the_dev_sinks_are_an_extra() -> None:
    runtime = " ".join(PROJECT["dependencies"])
    assert "aiohttp" not in runtime and "aiosmtpd" not in runtime
    assert {re.split(r"[<>=]", d)[0] for d in PROJECT["optional-dependencies"]["devtools"]} == {"aiohttp", "aiosmtpd"}

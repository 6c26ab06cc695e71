"""Generate Python code and .pyi stubs from protos/aftercare into protos/gen/python.

python protos/generate.py            # regenerate in place
python protos/generate.py --check    # exit 1 if the committed code is stale
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parent
OUT = PROTOS / "gen" / "python"


def _include_dirs() -> list[str]:
    # google/protobuf/* come with grpc_tools; google/rpc and google/type with googleapis-common-protos.
    import google.rpc

    well_known = resources.files("grpc_tools") / "_proto"
    common = Path(next(iter(google.rpc.__path__))).parent.parent
    return [str(PROTOS), str(well_known), str(common)]


def _sources() -> list[str]:
    return sorted(str(p.relative_to(PROTOS)) for p in (PROTOS / "aftercare").rglob("*.proto"))


def descriptor_set(path: Path) -> None:
    args = ["protoc", *(f"-I{d}" for d in _include_dirs()), "--include_imports", "--include_source_info"]
    if protoc.main([*args, f"--descriptor_set_out={path}", *_sources()]) != 0:
        raise SystemExit("protoc failed")


def generate(out: Path) -> None:
    sources = _sources()
    out.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent  # protoc-gen-mypy* live beside the interpreter
    args = ["protoc", *(f"-I{d}" for d in _include_dirs())]
    args += [f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}"]
    args += [f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}"]
    args += [f"--python_out={out}", f"--mypy_out={out}", f"--grpc_python_out={out}", f"--mypy_grpc_out={out}"]
    if protoc.main([*args, *sources]) != 0:
        raise SystemExit("protoc failed")
    for package in (out / "aftercare").rglob("*"):
        if package.is_dir():
            (package / "__init__.py").touch()
    (out / "aftercare" / "__init__.py").touch()
    (out / "aftercare" / "py.typed").touch()


def _tree(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        want, have = _tree(fresh), _tree(OUT)
        stale = sorted(
            name
            for name in want.keys() | have.keys()
            if name not in want or name not in have or not filecmp.cmp(want[name], have[name], shallow=False)
        )
    if stale:
        print("generated code is stale; run `make protos` and commit:", *stale, sep="\n  ", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if protos/gen/python is stale")
    parser.add_argument("--descriptor-set", type=Path, help="write a descriptor set to this file and stop")
    args = parser.parse_args()
    if args.descriptor_set:
        descriptor_set(args.descriptor_set)
        return 0
    if args.check:
        return check()
    shutil.rmtree(OUT / "aftercare", ignore_errors=True)
    generate(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

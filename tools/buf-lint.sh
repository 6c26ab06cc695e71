#!/usr/bin/env bash
# buf lint (Buf style guide, STANDARD) over protos/aftercare. buf is distributed through npm: where npm is
# missing this says so and passes, so `make lint` still works on a machine with only Python.
set -euo pipefail
cd "$(dirname "$0")/.."
BUF_VERSION="1.75.0"
BUF=.tools/node_modules/.bin/buf
if [ "$("$BUF" --version 2>/dev/null)" != "$BUF_VERSION" ]; then
  if ! command -v npm >/dev/null; then
    echo "buf lint skipped: buf comes from npm, which this machine lacks"
    exit 0
  fi
  npm install --prefix .tools --silent --no-audit --no-fund --no-save "@bufbuild/buf@$BUF_VERSION"
fi
image="$(mktemp --suffix .binpb)"
trap 'rm -f "$image"' EXIT
.venv/bin/python protos/generate.py --descriptor-set "$image"
"$BUF" lint "$image" --config protos/buf.yaml --path aftercare
echo "buf lint: clean"

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

# buf breaking: the APIs as they are against the merge base with origin/main (else the previous commit), so a
# change that would break a client already deployed fails here. Nothing to compare on main itself.
base="$(git merge-base HEAD origin/main 2>/dev/null || git rev-parse -q --verify HEAD~1 2>/dev/null || true)"
if [ -n "$base" ] && [ "$base" != "$(git rev-parse HEAD)" ] && git cat-file -e "$base:protos/generate.py" 2>/dev/null; then
  old="$(mktemp -d)"
  trap 'rm -rf "$image" "$old"' EXIT
  git archive "$base" protos | tar -x -C "$old"
  .venv/bin/python "$old/protos/generate.py" --descriptor-set "$old/image.binpb"
  "$BUF" breaking "$image" --against "$old/image.binpb" --config protos/buf.yaml --path aftercare
  echo "buf breaking: nothing breaks against ${base:0:12}"
fi

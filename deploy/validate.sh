#!/usr/bin/env bash
# What CI can check of the deployment files without Docker or a cluster: the Dockerfile (hadolint), the
# compose files (the compose-spec schema) and the Kubernetes manifests (the 1.37 schemas, strict: unknown
# fields fail).
set -euo pipefail
cd "$(dirname "$0")"
bin=../.venv/bin
"$bin/hadolint" --failure-threshold info Dockerfile
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec compose/compose.infra.yaml compose/compose.yaml compose/compose.split.yaml
"$bin/kubernetes-validate" --strict --quiet k8s/*.yaml
echo "deploy files valid: Dockerfile, $(ls compose/*.yaml | wc -l) compose files, $(ls k8s/*.yaml | wc -l) manifests"

#!/usr/bin/env bash
# Prints the path of a Helm binary built from its Go module (the module proxy is the only source
# of Helm this project uses: no downloaded release binaries). Built once into .tmp/tools/ (git-
# ignored) and reused; a later call returns at once. Used by platform/test/helm.test.ts and .ci/run.
# usage: scripts/helm.sh            → prints e.g. /repo/.tmp/tools/helm-v3.22.0/helm
# env:   HELM_VERSION (default v3.22.0), HELM_BIN (use this binary instead, e.g. a system helm)
set -euo pipefail
version="${HELM_VERSION:-v3.22.0}"
if [[ -n "${HELM_BIN:-}" ]]; then
  echo "$HELM_BIN"
  exit 0
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tmp/tools/helm-$version"
bin="$dir/helm"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "scripts/helm.sh: Go is needed to build Helm $version from helm.sh/helm/v3 (not found on PATH)" >&2
  exit 1
fi
mkdir -p "$dir"
start=$SECONDS
echo "scripts/helm.sh: building Helm $version from the Go module proxy (one time, a few minutes)" >&2
# A temporary GOBIN then a rename: an interrupted build never leaves a half-written binary behind.
tmp="$(mktemp -d "$dir/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
  go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
  "helm.sh/helm/v3/cmd/helm@$version" >&2
mv "$tmp/helm" "$bin"
echo "scripts/helm.sh: built $bin in $((SECONDS - start)) s" >&2
echo "$bin"

#!/usr/bin/env bash
# Builds the real control plane from source for the cluster test tier (npm run test:cluster):
# kube-apiserver, kube-controller-manager and kubectl (the same version, so no client skew) from
# k8s.io/kubernetes at the version go.mod pins.
# Outputs go to a git-ignored directory keyed by that version and are reused when present, so only
# the first run on a machine pays for the build. Prints the directory it leaves the binaries in as
# its last line. Go is used here for test infrastructure only.
#
#   e2e/kube/build.sh            build or reuse
#   KUBE_BIN_DIR=/path ...       put the versioned output directories somewhere else
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v go >/dev/null 2>&1; then
  echo "kube-build: Go is not installed (need go >= $(sed -n 's/^go //p' go.mod) on PATH to build kube-apiserver)" >&2
  exit 3
fi

k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
go_version=$(go env GOVERSION)
out_root=${KUBE_BIN_DIR:-$PWD/.bin}
out="$out_root/kubernetes-$k8s_version-$(go env GOOS)-$(go env GOARCH)"
binaries=(kube-apiserver kube-controller-manager kubectl)

have_all() {
  for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done
  [ -f "$out/BUILT" ]
}

if have_all; then
  echo "kube-build: reusing $(cat "$out/BUILT") in $out" >&2
  echo "$out"
  exit 0
fi

echo "kube-build: building kube-apiserver, kube-controller-manager and kubectl $k8s_version with $go_version (cold: several minutes on 2 cores)" >&2
start=$(date +%s)

echo "kube-build: [1/2] downloading modules" >&2
go mod download -x 2>&1 | awk '/^# get .*\.zip$/ { n++; if (n % 25 == 0) printf "kube-build:   %d module zips fetched\n", n > "/dev/stderr" }'

# The version stamp kubectl version reports, as hack/lib/version.sh sets it; the build date is the
# module's publication time so two builds of one version are identical.
module_time=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/.*"Info": "\(.*\)".*/\1/p' | xargs cat | sed -n 's/.*"Time":"\([^"]*\)".*/\1/p')
minor=$(echo "$k8s_version" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${module_time:-1970-01-01T00:00:00Z}"
done

echo "kube-build: [2/2] compiling (go build -v prints each package as it finishes)" >&2
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
pkgs=()
for b in "${binaries[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
# Progress: one line per 100 packages compiled, so a cold build shows it is moving.
if ! CGO_ENABLED=0 nice -n 5 go build -v -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}" 2>&1 |
  awk '{ n++; if (n % 100 == 0) printf "kube-build:   %d packages compiled\n", n > "/dev/stderr" } /^(#|go:|.*\.go:[0-9]+)/ { print > "/dev/stderr" }'; then
  echo "kube-build: go build failed" >&2
  exit 1
fi

echo "kubernetes $k8s_version built with $go_version in $(($(date +%s) - start)) s" >"$tmp/BUILT"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "kube-build: $("$out/kube-apiserver" --version) from $out" >&2
echo "kube-build: kubectl $("$out/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p')" >&2
echo "kube-build: $(cat "$out/BUILT")" >&2
echo "$out"

#!/usr/bin/env bash
# Runs `healer check` inside the cluster, in the pod that holds the healer's Lease (the leader),
# and writes its markdown table to the given file. Exit code is the CLI's: 0 healthy, 1 risk found,
# 2 error.
# usage: healer-check.sh <healer-namespace> <output.md> [healer check args...]
set -uo pipefail
ns="$1" out="$2"
shift 2
leader="$(kubectl -n "$ns" get lease aiops-healer -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)"
target="pod/${leader}"
if [[ -z "$leader" ]] || ! kubectl -n "$ns" get "$target" >/dev/null 2>&1; then
  echo "::warning::no healer leader found in $ns; using any healer replica"
  target="deployment/aiops-healer"
fi
kubectl -n "$ns" exec "$target" -c healer -- healer check --markdown "$@" >"$out"
rc=$?
cat "$out"
exit "$rc"

#!/usr/bin/env bash
# Waits for every aiops-autoheal Deployment (rollout status) and Argo Rollout (phase Healthy).
# usage: wait-healthy.sh <namespace> [timeout]
set -euo pipefail
ns="$1" timeout="${2:-10m}"
for d in $(kubectl -n "$ns" get deployment -l app.kubernetes.io/part-of=aiops-autoheal -o name); do
  kubectl -n "$ns" rollout status "$d" --timeout="$timeout"
done
for r in $(kubectl -n "$ns" get rollout.argoproj.io -l app.kubernetes.io/part-of=aiops-autoheal -o name 2>/dev/null); do
  kubectl -n "$ns" wait "$r" --for=jsonpath='{.status.phase}'=Healthy --timeout="$timeout"
done

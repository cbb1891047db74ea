#!/usr/bin/env bash
# Prints "<kind>/<name> <container> <image>" for every aiops-autoheal workload in a namespace, so a
# failed release can be put back exactly (rollback.sh reads this file).
# usage: record-images.sh <namespace>
set -euo pipefail
ns="$1"
for kind in deployment rollout.argoproj.io; do
  kubectl -n "$ns" get "$kind" -l app.kubernetes.io/part-of=aiops-autoheal \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.spec.template.spec.containers[0].name} {.spec.template.spec.containers[0].image}{"\n"}{end}' \
    2>/dev/null || true
done

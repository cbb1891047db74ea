#!/usr/bin/env bash
# DR drill for one Deployment: (1) kill a pod, (2) drain the node of another. After each, waits
# until every replica is available again and prints how long that took and the fewest replicas
# that were available meanwhile. Exits non-zero when a step does not recover within the timeout or
# when a Deployment of 2+ replicas ever had none available. Uncordons the node whatever happens.
#
# usage: drill.sh <namespace> <deployment>
# env:   DRILL_TIMEOUT_SECONDS   per step (default 300)
#        DRILL_DISABLE_EVICTION  true to delete instead of evict (clusters without the eviction
#                                API, e.g. the simulator); real clusters evict, which honours PDBs
#        DRILL_SKIP_DRAIN        true to run the pod kill only (e.g. a single-node cluster)
set -euo pipefail
ns="$1" deploy="$2"
timeout="${DRILL_TIMEOUT_SECONDS:-300}"
k() { kubectl -n "$ns" "$@"; }

# shellcheck disable=SC2016 # a Go template, not shell: the $ must reach kubectl unexpanded
selector="$(k get deployment "$deploy" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}')"
selector="${selector%,}"
desired="$(k get deployment "$deploy" -o jsonpath='{.spec.replicas}')"
available() { k get deployment "$deploy" -o jsonpath='{.status.availableReplicas}'; }

# Polls once a second until `$1` (a shell condition) holds; tracks the fewest available replicas.
min_available="$desired"
wait_recovered() {
  local step="$1" cond="$2" start now a
  start="$(date +%s)"
  while true; do
    a="$(available)"
    a="${a:-0}"
    ((a < min_available)) && min_available="$a"
    if ((a >= desired)) && eval "$cond"; then
      now="$(date +%s)"
      echo "$step: recovered in $((now - start))s (desired $desired, fewest available $min_available)"
      return 0
    fi
    now="$(date +%s)"
    if ((now - start > timeout)); then
      echo "$step: NOT recovered after ${timeout}s (available $a of $desired)" >&2
      return 1
    fi
    sleep 1
  done
}

check_floor() {
  if ((desired >= 2 && min_available == 0)); then
    echo "$1: availability dropped to 0 of $desired: not highly available" >&2
    return 1
  fi
}

echo "drill: $ns/$deploy ($selector), $desired replicas"
wait_recovered "baseline" "true"

# 1. Pod kill.
min_available="$desired"
victim="$(k get pods -l "$selector" -o jsonpath='{.items[0].metadata.name}')"
echo "pod-kill: deleting $victim"
k delete pod "$victim" --wait=false >/dev/null
gone() { ! k get pod "$victim" >/dev/null 2>&1; }
wait_recovered "pod-kill" "gone"
check_floor "pod-kill"

[[ "${DRILL_SKIP_DRAIN:-false}" == "true" ]] && exit 0

# 2. Node drain.
min_available="$desired"
node="$(k get pods -l "$selector" -o jsonpath='{.items[0].spec.nodeName}')"
trap 'kubectl uncordon "$node" >/dev/null 2>&1 || true' EXIT
echo "node-drain: draining $node"
drain_args=(--ignore-daemonsets --delete-emptydir-data --timeout="${timeout}s")
[[ "${DRILL_DISABLE_EVICTION:-false}" == "true" ]] && drain_args+=(--disable-eviction)
kubectl drain "$node" "${drain_args[@]}" >/dev/null
off_node() {
  [[ -z "$(k get pods -l "$selector" --field-selector "spec.nodeName=$node" -o name 2>/dev/null)" ]]
}
wait_recovered "node-drain" "off_node"
check_floor "node-drain"
kubectl uncordon "$node" >/dev/null
echo "drill: passed"

#!/usr/bin/env bash
# Smoke test through the public ingress: dashboard, healer status API, backend /predict with the
# original healthy body (expects 200 and a risk in [0, 1]).
# usage: smoke-test.sh <host>
set -euo pipefail
base="https://$1"
curl_() { curl --fail --silent --show-error --retry 5 --retry-all-errors --retry-delay 5 --max-time 10 "$@"; }
curl_ -o /dev/null "$base/"
curl_ -o /dev/null "$base/api/deployments"
body='{"restart_count_last_5m":0,"cpu_usage_pct":0.65,"memory_usage_bytes":52428800,"ready_replica_ratio":1.0,"unavailable_replicas":0,"network_receive_bytes_per_s":86,"http_5xx_error_rate":0}'
risk="$(curl_ -H 'content-type: application/json' -d "$body" "$base/predict" | jq -e '.risk')"
jq -en --argjson r "$risk" '$r >= 0 and $r <= 1' >/dev/null
echo "smoke test passed: risk=$risk"

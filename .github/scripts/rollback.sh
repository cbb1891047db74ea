#!/usr/bin/env bash
# Puts every workload back on the image recorded before the release (record-images.sh output).
# Works for Deployments and Argo Rollouts alike (a JSON patch of the pod template), then waits.
# usage: rollback.sh <namespace> <recorded-images-file>
set -euo pipefail
ns="$1" file="$2"
if [[ ! -s "$file" ]]; then
  echo "::error::no recorded images in $file: first release in $ns, nothing to roll back to"
  exit 1
fi
while read -r ref container image; do
  [[ -z "$ref" ]] && continue
  kind="${ref%%/*}" name="${ref#*/}"
  resource="deployment"
  [[ "$kind" == "Rollout" ]] && resource="rollout.argoproj.io"
  echo "rolling back $resource/$name ($container) to $image"
  kubectl -n "$ns" patch "$resource" "$name" --type json \
    -p "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"${image}\"}]"
  kubectl -n "$ns" annotate "$resource" "$name" --overwrite \
    "aiops.io/ci-rollback=$(date -u +%Y-%m-%dT%H:%M:%SZ) run ${GITHUB_RUN_ID:-local}"
done <"$file"
"$(dirname "$0")/wait-healthy.sh" "$ns"

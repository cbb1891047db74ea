#!/usr/bin/env bash
# Renders an environment's overlay with the images being released, by digest (never by tag), into
# a release overlay under k8s/overlays/.release-<env>, and prints its path. Refuses a line that is
# not pinned by digest and a digests file that misses an image.
# usage: render-release.sh <env> <digests file: "<service> <repository>@sha256:<hex>" lines>
set -euo pipefail
env_name="$1" digests="$2"
placeholder="123456789012.dkr.ecr.eu-west-1.amazonaws.com"
dir="k8s/overlays/.release-${env_name}"
mkdir -p "$dir"
seen=()
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources: [../${env_name}]"
  echo "images:"
  while read -r svc ref; do
    [[ -z "$svc" ]] && continue
    if [[ ! "$ref" =~ ^([^@[:space:]]+)@(sha256:[a-f0-9]{64})$ ]]; then
      echo "render-release.sh: $svc: '$ref' is not pinned by digest (repository@sha256:...)" >&2
      exit 1
    fi
    echo "  - name: ${placeholder}/aiops-autoheal/${svc}"
    echo "    newName: ${BASH_REMATCH[1]}"
    echo "    digest: ${BASH_REMATCH[2]}"
    seen+=("$svc")
  done <"$digests"
} >"$dir/kustomization.yaml"
for svc in backend healer dashboard; do
  if [[ " ${seen[*]} " != *" $svc "* ]]; then
    echo "render-release.sh: no digest for $svc in $digests" >&2
    exit 1
  fi
done
echo "$dir"

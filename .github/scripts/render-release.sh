#!/usr/bin/env bash
# Renders an environment's overlay with the images CI just pushed (immutable `sha-<commit>` tags in
# ECR) into a release overlay under k8s/overlays/.release-<env>, and prints its path.
# usage: render-release.sh <env> <registry> <tag>
set -euo pipefail
env_name="$1" registry="$2" tag="$3"
placeholder="123456789012.dkr.ecr.eu-west-1.amazonaws.com"
dir="k8s/overlays/.release-${env_name}"
mkdir -p "$dir"
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources: [../${env_name}]"
  echo "images:"
  for svc in backend healer dashboard; do
    echo "  - name: ${placeholder}/aiops-autoheal/${svc}"
    echo "    newName: ${registry}/aiops-autoheal/${svc}"
    echo "    newTag: ${tag}"
  done
} >"$dir/kustomization.yaml"
echo "$dir"

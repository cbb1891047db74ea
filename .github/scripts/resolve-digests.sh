#!/usr/bin/env bash
# Prints "<service> <repository>@<digest>" for each image ci.yml built for a commit (its immutable
# tag sha-<commit>): the release promotes those bytes, it never rebuilds them.
# usage: resolve-digests.sh <registry> <commit>
set -euo pipefail
registry="$1" commit="$2"
for svc in backend healer dashboard; do
  digest="$(aws ecr describe-images --repository-name "aiops-autoheal/$svc" \
    --image-ids "imageTag=sha-$commit" --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)"
  if [[ ! "$digest" =~ ^sha256:[a-f0-9]{64}$ ]]; then
    echo "::error::no image aiops-autoheal/$svc:sha-$commit in ECR: a release promotes what ci.yml built and published on main for this commit, so tag a commit that main built" >&2
    exit 1
  fi
  echo "$svc $registry/aiops-autoheal/$svc@$digest"
done

#!/usr/bin/env bash
# Adds a release tag (e.g. v1.2.3) to the digests being promoted: the very manifest bytes put under
# a second tag, so the digest does not change (checked). Rerunning is fine; moving an existing
# release tag to other bytes is refused by the immutable repository, as it should be.
# usage: tag-release.sh <digests file from resolve-digests.sh> <tag>
set -euo pipefail
file="$1" tag="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
while read -r svc ref; do
  [[ -z "$svc" ]] && continue
  repo="aiops-autoheal/$svc" digest="${ref#*@}"
  aws ecr batch-get-image --repository-name "$repo" --image-ids "imageDigest=$digest" \
    --accepted-media-types application/vnd.oci.image.index.v1+json application/vnd.oci.image.manifest.v1+json \
    application/vnd.docker.distribution.manifest.list.v2+json application/vnd.docker.distribution.manifest.v2+json \
    --output json >"$work/image.json"
  media="$(jq -r '.images[0].imageManifestMediaType' "$work/image.json")"
  # -j: the manifest's bytes exactly, no newline added (the digest is over those bytes).
  jq -j '.images[0].imageManifest' "$work/image.json" >"$work/manifest.json"
  if out="$(aws ecr put-image --repository-name "$repo" --image-tag "$tag" --output json \
    --image-manifest "file://$work/manifest.json" --image-manifest-media-type "$media" 2>&1)"; then
    tagged="$(jq -r '.image.imageId.imageDigest' <<<"$out")"
    if [[ "$tagged" != "$digest" ]]; then
      echo "::error::$repo: tag $tag landed on $tagged, not $digest"
      exit 1
    fi
    echo "tagged $repo@$digest as $tag"
  elif grep -q ImageAlreadyExistsException <<<"$out"; then
    echo "$repo@$digest already tagged $tag"
  else
    echo "::error::$repo: cannot tag $digest as $tag: $out"
    exit 1
  fi
done <"$file"

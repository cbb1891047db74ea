#!/usr/bin/env bash
# Pushes the OCI archive the build job made (and the scan job scanned) to ECR unchanged — same
# manifest, same digest, its SBOM and provenance attestations included — under the immutable tag
# sha-<commit>, checks the registry holds exactly that digest, and signs the digest keylessly
# (cosign, GitHub OIDC → Fulcio certificate, Rekor transparency log).
# usage: publish-image.sh <dir with image.tar and digest> <repository> <tag>
set -euo pipefail
dir="$1" repository="$2" tag="$3"
digest="$(cat "$dir/digest")"
if [[ ! "$digest" =~ ^sha256:[a-f0-9]{64}$ ]]; then
  echo "::error::no image digest recorded by the build job in $dir/digest: got '$digest'"
  exit 1
fi
skopeo copy --all --preserve-digests "oci-archive:$dir/image.tar" "docker://$repository:$tag"
pushed="sha256:$(skopeo inspect --raw "docker://$repository:$tag" | sha256sum | cut -d' ' -f1)"
if [[ "$pushed" != "$digest" ]]; then
  echo "::error::$repository:$tag is $pushed, not the scanned $digest"
  exit 1
fi
cosign sign --yes "$repository@$digest"
echo "published $repository@$digest ($tag)"

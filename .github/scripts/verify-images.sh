#!/usr/bin/env bash
# Before anything is deployed: each digest must be signed by the expected workflow identity
# (keyless cosign, the GitHub Actions OIDC issuer) and carry the SBOM and SLSA provenance that
# buildx attached at build time.
# usage: verify-images.sh <digests file from resolve-digests.sh> <certificate identity>
set -euo pipefail
file="$1" identity="$2"
while read -r svc ref; do
  [[ -z "$svc" ]] && continue
  cosign verify "$ref" \
    --certificate-identity "$identity" \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com >/dev/null
  for attestation in SBOM Provenance; do
    if ! docker buildx imagetools inspect "$ref" --format "{{ json .$attestation }}" | jq -e '. != null and . != {}' >/dev/null; then
      echo "::error::$svc: $ref has no $attestation attestation"
      exit 1
    fi
  done
  echo "verified $svc $ref"
done <"$file"

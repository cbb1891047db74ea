#!/usr/bin/env bash
# Post-deploy risk gate: check → (risk) let the healer heal and wait its stabilisation window →
# re-check → (still risky) roll the release back. Writes each table to the job summary.
# usage: risk-gate.sh <namespace> <recorded-images-file>
# env: GATE_WARMUP_SECONDS (default 120: the new pods need a couple of scrape windows of data, or
#      every assessment is inconclusive and the CLI exits 2)
#      HEAL_WINDOW_SECONDS (default 150, just over the healer's 120 s stabilisation window)
set -uo pipefail
ns="$1" recorded="$2"
here="$(dirname "$0")"
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
window="${HEAL_WINDOW_SECONDS:-150}"
warmup="${GATE_WARMUP_SECONDS:-120}"

echo "risk gate: letting metrics accumulate for ${warmup}s"
sleep "$warmup"

"$here/healer-check.sh" "$ns" first.md --namespace "$ns" --dry-run
rc=$?
{ echo "### Risk check after deploy ($ns)"; cat first.md; } >>"$summary"
case "$rc" in
  0) echo "risk gate: all healthy"; exit 0 ;;
  1) echo "risk gate: risk found; the healer heals, re-checking in ${window}s" ;;
  *) echo "::error::healer check failed (exit $rc)"; exit "$rc" ;;
esac

sleep "$window"
"$here/healer-check.sh" "$ns" second.md --namespace "$ns" --dry-run
rc=$?
{ echo "### Re-check after ${window}s ($ns)"; cat second.md; } >>"$summary"
case "$rc" in
  0) echo "risk gate: healed, keeping the release"; exit 0 ;;
  1)
    echo "::error::risk still high after the heal window: rolling the release back"
    "$here/rollback.sh" "$ns" "$recorded"
    echo "### Release rolled back ($ns)" >>"$summary"
    exit 1
    ;;
  *) echo "::error::healer re-check failed (exit $rc)"; exit "$rc" ;;
esac

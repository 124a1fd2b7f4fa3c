#!/usr/bin/env bash
# CI (.github/workflows/pulumi.yml, previews): the CA-aware summary of one stack's preview, for the
# pull request comment beside the standard diff (docs/guardrails.md). Runs in the project directory.
#   STACK        the stack to preview
#   SUMMARY_DIR  where preview.json, events.jsonl and summary.md are written
# The preview runs with the policy pack, as the pulumi/actions step does; `--event-log` (a flag the CLI
# shows only with PULUMI_DEBUG_COMMANDS) carries the policy violations, which `--json` leaves out.
# A failed preview is summarized too (its errors); the pulumi/actions step is what fails the job.
set -euo pipefail
: "${STACK:?set STACK}" "${SUMMARY_DIR:?set SUMMARY_DIR}"
mkdir -p "$SUMMARY_DIR"
rc=0
PULUMI_DEBUG_COMMANDS=true pulumi preview --stack "$STACK" --json --non-interactive \
  --policy-pack policy-pack --policy-pack-config policy-pack/policy-config.json \
  --event-log "$SUMMARY_DIR/events.jsonl" > "$SUMMARY_DIR/preview.json" || rc=$?
echo "pulumi preview --stack $STACK exited $rc" >&2
# The program's own loader (transpile once, cached): no TypeScript compiler loaded on a warm cache.
node --require ./scripts/program/register.js --enable-source-maps scripts/rotate/previewSummary.ts \
  --preview "$STACK=$SUMMARY_DIR/preview.json" --events "$STACK=$SUMMARY_DIR/events.jsonl" > "$SUMMARY_DIR/summary.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$SUMMARY_DIR/summary.md" >> "$GITHUB_STEP_SUMMARY"; fi

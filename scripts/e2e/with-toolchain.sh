#!/usr/bin/env bash
# Runs a command inside the local e2e environment:
#   1. bash tools/build.sh (no-op when tools/bin is up to date)
#   2. starts etcd + kube-apiserver + kube-controller-manager (tools/start-apiserver.sh)
#      unless E2E_NO_APISERVER=1
#   3. installs the provider plugins from tools/bin into PULUMI_HOME (scripts/e2e/install-plugins.sh)
#   4. exports the env below and runs the command; always stops the apiserver after.
#
# Usage: bash scripts/e2e/with-toolchain.sh <command> [args...]
#   e.g. "test:e2e": "bash scripts/e2e/with-toolchain.sh npx jest --config jest.e2e.config.js" (docs/e2e.md)
#
# Exported to the command:
#   PATH                     tools/bin first (pulumi, pulumi-language-nodejs, kubectl, ...)
#   E2E_DIR                  fresh temp dir for this run (deleted afterwards unless KEEP=1)
#   KUBECONFIG               $E2E_DIR/kubeconfig (cluster-admin on the local apiserver)
#   PULUMI_HOME              $E2E_DIR/pulumi-home          (keeps ~/.pulumi untouched)
#   PULUMI_BACKEND_URL       file://$E2E_DIR/state          (local file backend)
#   PULUMI_CONFIG_PASSPHRASE e2e (unless already set)
#   PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
#   GOGC                     400 (unless already set): less GC CPU for the Go processes
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: with-toolchain.sh <command> [args...]" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

bash "$ROOT/tools/build.sh"

export E2E_DIR="$(mktemp -d "${TMPDIR:-/tmp}/istio-mesh-ca-e2e.XXXXXX")"
export KUBE_STATE_DIR="$E2E_DIR/kube"
# Every Go process of the tier (control planes, pulumi and its plugins, istiod, Vault, kubectl) collects
# garbage at 4x its live heap instead of 2x: the tier is CPU-bound on two cores and has memory to spare
# (a few GB of 24); measured ≈ 6 % less CPU for the localStack file. A GOGC of the caller's own wins.
export GOGC="${GOGC:-400}"
cleanup() { # keeps the command's exit status
  local rc=$?
  [ "${E2E_NO_APISERVER:-0}" = 1 ] || KEEP_STATE="${KEEP:-0}" bash "$ROOT/tools/stop-apiserver.sh" > /dev/null || true
  # Control planes the e2e tier's other jest workers started (test/e2e/workerEnv.ts), and second clusters.
  for state in "$E2E_DIR"/kube-w* "$E2E_DIR"/kube-b*; do
    [ -d "$state" ] && KUBE_STATE_DIR="$state" KEEP_STATE="${KEEP:-0}" bash "$ROOT/tools/stop-apiserver.sh" > /dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $E2E_DIR" >&2; else rm -rf "$E2E_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT

export PATH="$ROOT/tools/bin:$PATH"
export KUBECONFIG="$E2E_DIR/kubeconfig"
export PULUMI_HOME="$E2E_DIR/pulumi-home"
# metadata=skip: no .attrs sidecar files. gocloud's fileblob rewrites them in place (os.Create), so a
# stack reading its OWN state during an update (the lifecycle's StackReference) can read an empty
# one: "failed to load checkpoint: EOF" (seen on a first `pulumi up`; docs/e2e.md).
export PULUMI_BACKEND_URL="file://$E2E_DIR/state?metadata=skip"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-e2e}"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$E2E_DIR/state" "$PULUMI_HOME"
# No automatic log files: every pulumi command (v3.259 here) writes all of the engine's verbose logging,
# gzipped and encrypted, to $PULUMI_HOME/logs, with no switch to turn it off (pulumi/pulumi#23731);
# that is ≈ a fifth of the CLI's CPU in an up or preview, and this tier runs ≈ 800 pulumi commands on
# two cores. A plain file where the directory would be makes the CLI skip it ("automatic logging
# unavailable", logged at a level nothing prints); the engine itself runs as before. docs/e2e.md.
echo "not a directory: the e2e tier keeps no automatic pulumi logs (scripts/e2e/with-toolchain.sh)" > "$PULUMI_HOME/logs"

# Provider plugins, from tools/bin, into this run's PULUMI_HOME only (no download):
#   kubernetes: the real provider built from its Go module, reporting the npm SDK's version;
#   tls: the TEST DOUBLE (tools/tlsdouble/README.md) — the real one can't be built here.
# Installed while the API server starts (the kubernetes plugin's copy takes ≈ 6 s).
bash "$ROOT/scripts/e2e/install-plugins.sh" > "$E2E_DIR/install-plugins.log" 2>&1 &
plugins=$!

[ "${E2E_NO_APISERVER:-0}" = 1 ] || bash "$ROOT/tools/start-apiserver.sh" "$KUBECONFIG"
wait "$plugins" || { cat "$E2E_DIR/install-plugins.log" >&2; echo "installing the provider plugins failed" >&2; exit 1; }

cd "$ROOT"
"$@"

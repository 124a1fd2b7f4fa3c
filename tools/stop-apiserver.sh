#!/usr/bin/env bash
# Stops what tools/start-apiserver.sh started (by the pids it recorded) and
# deletes its state dir. Env: KUBE_STATE_DIR (default /tmp/istio-mesh-ca-kube),
# KEEP_STATE=1 keeps the state dir (logs, etcd data) for debugging.
set -uo pipefail
STATE="${KUBE_STATE_DIR:-/tmp/istio-mesh-ca-kube}"
[ -f "$STATE/pids" ] || { echo "nothing to stop ($STATE/pids not found)"; exit 0; }

# Reverse order: controller-manager, apiserver, then etcd.
tac "$STATE/pids" | while read -r pid name; do
  kill -TERM "$pid" 2>/dev/null || continue
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  echo "stopped $name ($pid)"
done
rm -f "$STATE/pids"
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$STATE"

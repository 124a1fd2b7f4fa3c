#!/usr/bin/env bash
# `npm run local`: `pulumi up -s local` for real, on a local Kubernetes control plane, for a newcomer
# with no cluster and no Pulumi account. Leaves the API server and the stack running.
#
#   1. builds (or reuses) the toolchain: bash tools/build.sh  (Go modules; ~45 min the first time)
#   2. starts etcd + kube-apiserver + kube-controller-manager on loopback (tools/start-apiserver.sh),
#      or reuses the one a previous `npm run local` left running
#   3. links Istio's charts from the pinned istio.io/istio module to $LOCAL_DIR/istio-charts
#      (istio.chartPath of Pulumi.local.yaml; nothing is downloaded from a Helm repository)
#   4. installs the provider plugins into $LOCAL_DIR/pulumi-home: the real Kubernetes provider (built
#      from its Go module) and, for @pulumi/tls, the TEST DOUBLE of tools/tlsdouble (the real TLS
#      provider can't be built here; on a normal machine Pulumi installs the real one)
#   5. `pulumi up -s local` with a file backend in $LOCAL_DIR/state, then prints the outputs
#
# Usage: npm run local                 up (again: a no-op or the changes you made to Pulumi.local.yaml)
#        npm run local -- stop         pulumi destroy, stop the API server, delete $LOCAL_DIR
# Env:   LOCAL_DIR (/tmp/istio-mesh-ca-local), APISERVER_PORT (26543), ETCD_PORT (23890),
#        ETCD_PEER_PORT (23900) — not the e2e wrapper's ports, so `npm run test:e2e` can run meanwhile;
#        PULUMI_CONFIG_PASSPHRASE (default "local": Pulumi.local.yaml's encryptionsalt is for it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="$ROOT/tools/bin:$PATH:/usr/local/go/bin"
LOCAL_DIR="${LOCAL_DIR:-/tmp/istio-mesh-ca-local}"
export KUBE_STATE_DIR="$LOCAL_DIR/kube"
export APISERVER_PORT="${APISERVER_PORT:-26543}" ETCD_PORT="${ETCD_PORT:-23890}" ETCD_PEER_PORT="${ETCD_PEER_PORT:-23900}"
export KUBECONFIG="$LOCAL_DIR/kubeconfig"
export PULUMI_HOME="$LOCAL_DIR/pulumi-home" PULUMI_BACKEND_URL="file://$LOCAL_DIR/state?metadata=skip" # why: docs/e2e.md
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-local}"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
STACK=local
# The Kubernetes provider writes its kubeconfig (admin credentials) to a temp file on every Configure
# and never removes it (pulumi-kubernetes writeKubeconfigToFile): keep those in $LOCAL_DIR, which
# `npm run local -- stop` deletes.
pulumi_() { mkdir -p "$LOCAL_DIR/tmp"; TMPDIR="$LOCAL_DIR/tmp" pulumi "$@" --stack "$STACK" --cwd "$ROOT" --non-interactive; }

step() { printf '\n== %s\n' "$*"; }
ready() { [ -f "$KUBE_STATE_DIR/pids" ] && [ -f "$KUBECONFIG" ] && kubectl get --raw /readyz > /dev/null 2>&1; }

if [ "${1:-}" = stop ]; then
  if ready && [ -d "$LOCAL_DIR/state" ]; then
    step "pulumi destroy -s $STACK"
    pulumi_ destroy --yes --skip-preview || echo "destroy failed; the API server is stopped anyway" >&2
  fi
  bash "$ROOT/tools/stop-apiserver.sh"
  rm -rf "$LOCAL_DIR"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: npm run local [-- stop]" >&2; exit 2; }
[ -d "$ROOT/node_modules/@pulumi/pulumi" ] || { echo "run npm ci in $ROOT first" >&2; exit 1; }

step "toolchain (tools/build.sh: no-op when up to date)"
bash "$ROOT/tools/build.sh" pulumi kube k8sprovider tlsdouble # not istio: npm run local runs no istiod

step "local API server"
mkdir -p "$LOCAL_DIR/state"
if ready; then
  echo "reusing the API server already running (state: $KUBE_STATE_DIR)"
else
  [ -f "$KUBE_STATE_DIR/pids" ] && bash "$ROOT/tools/stop-apiserver.sh" > /dev/null # stale
  bash "$ROOT/tools/start-apiserver.sh" "$KUBECONFIG"
fi

step "Istio charts from the istio.io/istio Go module"
bash "$ROOT/scripts/e2e/istio-module.sh" --charts "$LOCAL_DIR/istio-charts" | sed 's/^/module: /'

step "provider plugins into $PULUMI_HOME"
bash "$ROOT/scripts/e2e/install-plugins.sh"

step "pulumi up -s $STACK"
pulumi stack select --create "$STACK" --cwd "$ROOT" --non-interactive
pulumi_ up --yes

cat <<EOF

== done: stack '$STACK' is deployed on the local API server (left running)

$(pulumi_ stack output 2>/dev/null | sed 's/^/  /' | cut -c1-160)

Look at it:
  export KUBECONFIG=$KUBECONFIG PATH=$ROOT/tools/bin:\$PATH
  export PULUMI_HOME=$PULUMI_HOME PULUMI_BACKEND_URL='$PULUMI_BACKEND_URL' PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE
  pulumi stack -s $STACK                    # the resources Pulumi manages
  kubectl get secret cacerts -n istio-system
  kubectl get peerauthentication -A
  kubectl get deploy istiod -n istio-system  # stored, never running: this control plane has no nodes
  pulumi stack output -s $STACK --json | jq -r '.clusters.cluster1.certChain' > /tmp/cert-chain.pem
  pulumi stack output -s $STACK --json | jq -r '.clusters.cluster1.rootCertBundle' > /tmp/root-cert.pem
  openssl verify -CAfile /tmp/root-cert.pem /tmp/cert-chain.pem

Change Pulumi.local.yaml (e.g. rotate: pulumi config set -s $STACK --path 'istio-mesh-ca:ca.rotation.intermediateGeneration' 2),
then: pulumi preview -s $STACK --diff; npm run local

Stop it:  npm run local -- stop   (pulumi destroy, then stops the API server and deletes $LOCAL_DIR)

NOTE: the TLS resources were made by the e2e TEST DOUBLE of the TLS provider (tools/tlsdouble);
everything else is the real Pulumi engine and the real Kubernetes provider.
EOF

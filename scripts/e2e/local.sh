#!/usr/bin/env bash
# `npm run local`: the mesh CA's Kubernetes objects on a local API server, for a newcomer with no
# cluster and no Pulumi account. Leaves the API server running.
#
#   1. builds (or reuses) the toolchain: bash tools/build.sh  (Go modules; ~20 min the first time)
#   2. starts etcd + kube-apiserver + kube-controller-manager on loopback (tools/start-apiserver.sh),
#      or reuses the one a previous `npm run local` left running
#   3. applies Istio's CRDs from the pinned istio.io/istio module (scripts/e2e/istio-module.sh) and
#      links its charts to $LOCAL_DIR/istio-charts (istio.chartPath of Pulumi.local.yaml)
#   4. runs our program under Pulumi mocks for the stack (default dev; keys and certificates are
#      real, made with openssl) and applies every Kubernetes object it declares with
#      `kubectl apply --server-side`, namespaces first (scripts/e2e/render-k8s.ts)
#   5. prints what exists and how to look at it
#
# Usage: npm run local [-- <stack>]          e.g. npm run local -- local
#        bash scripts/e2e/local.sh stop      stops the API server and deletes $LOCAL_DIR
# Env:   LOCAL_DIR (/tmp/istio-mesh-ca-local), APISERVER_PORT (26543), ETCD_PORT (23890),
#        ETCD_PEER_PORT (23900) — not the e2e wrapper's ports, so `npm run test:e2e` can run meanwhile.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="$ROOT/tools/bin:$PATH:/usr/local/go/bin"
LOCAL_DIR="${LOCAL_DIR:-/tmp/istio-mesh-ca-local}"
export KUBE_STATE_DIR="$LOCAL_DIR/kube"
export APISERVER_PORT="${APISERVER_PORT:-26543}" ETCD_PORT="${ETCD_PORT:-23890}" ETCD_PEER_PORT="${ETCD_PEER_PORT:-23900}"
export KUBECONFIG="$LOCAL_DIR/kubeconfig"
STACK="${1:-dev}"
FM=istio-mesh-ca-local

if [ "$STACK" = stop ]; then
  bash "$ROOT/tools/stop-apiserver.sh"
  rm -rf "$LOCAL_DIR"
  exit 0
fi
[ -f "$ROOT/Pulumi.$STACK.yaml" ] || { echo "no Pulumi.$STACK.yaml" >&2; exit 2; }
[ -d "$ROOT/node_modules/@pulumi/pulumi" ] || { echo "run npm ci in $ROOT first" >&2; exit 1; }
command -v openssl > /dev/null || { echo "openssl is needed (apt-get install openssl)" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }
ready() { [ -f "$KUBE_STATE_DIR/pids" ] && [ -f "$KUBECONFIG" ] && kubectl get --raw /readyz > /dev/null 2>&1; }

step "toolchain (tools/build.sh: no-op when up to date)"
bash "$ROOT/tools/build.sh"

step "local API server"
mkdir -p "$LOCAL_DIR"
if ready; then
  echo "reusing the API server already running (state: $KUBE_STATE_DIR)"
else
  [ -f "$KUBE_STATE_DIR/pids" ] && bash "$ROOT/tools/stop-apiserver.sh" > /dev/null # stale
  bash "$ROOT/tools/start-apiserver.sh" "$KUBECONFIG"
fi

step "Istio CRDs and charts from the istio.io/istio Go module"
ISTIO_DIR="$(bash "$ROOT/scripts/e2e/istio-module.sh" --charts "$LOCAL_DIR/istio-charts")"
echo "module: $ISTIO_DIR"
kubectl apply --server-side --field-manager="$FM" -f "$ISTIO_DIR/manifests/charts/base/files/crd-all.gen.yaml" > /dev/null
kubectl wait --for condition=Established --timeout=120s crd \
  peerauthentications.security.istio.io sidecars.networking.istio.io proxyconfigs.networking.istio.io > /dev/null
echo "$(kubectl get crd -o name | grep -c istio.io) Istio CRDs established; charts linked in $LOCAL_DIR/istio-charts"

step "our program, stack '$STACK', under Pulumi mocks (real keys and certificates from openssl)"
OUT="$LOCAL_DIR/rendered-$STACK"
rm -rf "$OUT"
(cd "$ROOT" && npx --no-install ts-node --transpile-only scripts/e2e/render-k8s.ts "$STACK" "$OUT") | sed 's/^/  /'

step "kubectl apply --server-side, namespaces first"
for f in "$OUT"/1-namespaces.json "$OUT"/2-cluster.json "$OUT"/3-namespaced.json "$OUT"/4-custom.json; do
  n="$(node -e 'console.log(require(process.argv[1]).items.length)' "$f")"
  [ "$n" -gt 0 ] && kubectl apply --server-side --field-manager="$FM" -f "$f"
done
# The rendered files hold private keys (cacerts): they are on the server now, drop the copies.
rm -f "$OUT"/[1-4]-*.json

step "checking the cacerts chain with openssl"
CHK="$LOCAL_DIR/cacerts-check"; mkdir -p "$CHK"
for k in root-cert.pem cert-chain.pem ca-cert.pem; do
  kubectl get secret cacerts -n istio-system -o "jsonpath={.data.${k//./\\.}}" | base64 -d > "$CHK/$k"
done
openssl verify -CAfile "$CHK/root-cert.pem" "$CHK/cert-chain.pem"

cat <<EOF

== done: stack '$STACK' objects are on the local API server (left running)

What was created (kubectl get ns,secrets,peerauthentications,sidecars,proxyconfigs -A):
$(kubectl get ns,secrets,peerauthentications.security.istio.io,sidecars.networking.istio.io,proxyconfigs.networking.istio.io -A 2>/dev/null \
  | grep -Ev '^(NAMESPACE|NAME)|kube-|default +namespace|^namespace/default|kube-root-ca|^$' | sed 's/^/  /')

Inspect it:
  export KUBECONFIG=$KUBECONFIG PATH=$ROOT/tools/bin:\$PATH
  kubectl get secret cacerts -n istio-system
  kubectl get peerauthentication -A
  kubectl get sidecar -n test -o yaml
  kubectl get secret cacerts -n istio-system -o jsonpath='{.data.cert-chain\.pem}' | base64 -d > /tmp/cert-chain.pem
  kubectl get secret cacerts -n istio-system -o jsonpath='{.data.root-cert\.pem}' | base64 -d > /tmp/root-cert.pem
  openssl verify -CAfile /tmp/root-cert.pem /tmp/cert-chain.pem
  openssl x509 -in /tmp/cert-chain.pem -noout -subject -issuer -enddate

Stop it:  bash scripts/e2e/local.sh stop      (or: KUBE_STATE_DIR=$KUBE_STATE_DIR bash tools/stop-apiserver.sh)

NOTE: these are the objects our program DECLARES, rendered under Pulumi mocks and applied with
kubectl, because the Pulumi provider plugins (pulumi-resource-kubernetes, pulumi-resource-tls)
cannot be built in this environment (the Go module proxy refuses them; see docs/e2e.md).
Istio itself (the base/istiod Helm charts) is not installed: that is the provider's Helm engine's job.
On a normal machine with the plugins, \`pulumi up -s dev\` does all of this through Pulumi
(or \`pulumi up -s local\` against this API server: Pulumi.local.yaml).
EOF

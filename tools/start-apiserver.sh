#!/usr/bin/env bash
# Starts a throwaway Kubernetes control plane on loopback for e2e tests:
#   etcd + kube-apiserver + kube-controller-manager (no kubelet, no scheduler:
#   pods never run, but namespaces, CRDs, RBAC, Secrets, etc. behave for real).
#
# Usage: tools/start-apiserver.sh KUBECONFIG_OUT
# Env:   KUBE_STATE_DIR  (default /tmp/istio-mesh-ca-kube) certs, data, logs, pids
#        ETCD_PORT (23790) ETCD_PEER_PORT (23800) APISERVER_PORT (26443)
#        READY_TIMEOUT seconds (120)
# Stop:  tools/stop-apiserver.sh   (same KUBE_STATE_DIR)
# Binaries come from tools/bin (bash tools/build.sh).
set -euo pipefail

KUBECONFIG_OUT="${1:?usage: start-apiserver.sh KUBECONFIG_OUT}"
BIN="$(cd "$(dirname "$0")" && pwd)/bin"
STATE="${KUBE_STATE_DIR:-/tmp/istio-mesh-ca-kube}"
ETCD_PORT="${ETCD_PORT:-23790}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${APISERVER_PORT:-26443}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"

for b in etcd kube-apiserver kube-controller-manager; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: run bash tools/build.sh" >&2; exit 1; }
done
if [ -f "$STATE/pids" ]; then
  echo "$STATE/pids exists: already running? run tools/stop-apiserver.sh first" >&2; exit 1
fi
for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use" >&2; exit 1; fi
done

rm -rf "$STATE"
mkdir -p "$STATE"/{pki,etcd-data,logs} && chmod 700 "$STATE/etcd-data"
PKI="$STATE/pki"

# --- certificates (self-signed CA, apiserver serving cert, admin client cert) ---
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e2e-kube-ca" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
cert() { # name subject [extfile-content]
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$PKI/$1.key" -out "$PKI/$1.csr"
  printf '%s\n' "$3" > "$PKI/$1.ext"
  ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt"
}
cert apiserver "/CN=kube-apiserver" \
  "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
# O=system:masters => cluster-admin; used by tests (kubeconfig) and by the controller-manager.
cert admin "/O=system:masters/CN=e2e-admin" "extendedKeyUsage=clientAuth"
# Service-account token signing key pair.
ossl genrsa -out "$PKI/sa.key" 2048
ossl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# --- kubeconfig (certs embedded, so the file is self-contained) ---
b64() { base64 -w0 < "$1"; }
write_kubeconfig() {
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
}
write_kubeconfig "$STATE/admin.kubeconfig"

start() { # name args... ; detached, logs in $STATE/logs, pid appended to $STATE/pids
  local name="$1"; shift
  setsid "$BIN/$name" "$@" > "$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo "$! $name" >> "$STATE/pids"
}

# --- etcd (plain HTTP on loopback only; fsync off: throwaway data) ---
start etcd --name e2e --data-dir "$STATE/etcd-data" \
  --listen-client-urls "http://127.0.0.1:${ETCD_PORT}" \
  --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
  --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-cluster "e2e=http://127.0.0.1:${ETCD_PEER_PORT}" \
  --unsafe-no-fsync --log-level warn

# --- kube-apiserver ---
start kube-apiserver \
  --etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range 10.0.0.0/24 \
  --authorization-mode RBAC --allow-privileged=true \
  --endpoint-reconciler-type none \
  --cert-dir "$STATE/pki/apiserver-generated"

# --- kube-controller-manager (namespace deletion, service accounts, GC, CSR signing...) ---
start kube-controller-manager \
  --kubeconfig "$STATE/admin.kubeconfig" \
  --secure-port 0 --leader-elect=false \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --controllers '*'

# --- wait for /readyz ---
deadline=$(( $(date +%s) + READY_TIMEOUT ))
until curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
        "https://127.0.0.1:${APISERVER_PORT}/readyz" > /dev/null 2>&1; do
  while read -r pid name; do
    kill -0 "$pid" 2>/dev/null || { echo "$name died; last log lines:" >&2; tail -20 "$STATE/logs/$name.log" >&2; exit 1; }
  done < "$STATE/pids"
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "apiserver not ready after ${READY_TIMEOUT}s; logs in $STATE/logs" >&2; exit 1
  fi
  sleep 1
done

mkdir -p "$(dirname "$KUBECONFIG_OUT")"
cp "$STATE/admin.kubeconfig" "$KUBECONFIG_OUT"
echo "kube-apiserver ready at https://127.0.0.1:${APISERVER_PORT} (kubeconfig: $KUBECONFIG_OUT, state: $STATE)"

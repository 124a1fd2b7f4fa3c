#!/usr/bin/env bash
# E2E STAND-IN for cert-manager's controller (no published module builds it): while it runs, every
# cert-manager Certificate with `isCA: true` gets the Secret cert-manager would write (a self-signed
# CA from openssl, with the Certificate's commonName, ca.crt = tls.crt as cert-manager's selfSigned
# issuer does) and a Ready=True condition; every Issuer/ClusterIssuer gets Ready=True. That is what
# `pulumi.com/waitFor: condition=Ready` on our objects waits for. Only for the e2e tier.
#
# Usage: certManagerStandIn.sh STOPFILE   (loops until STOPFILE exists; KUBECONFIG from env)
set -uo pipefail
STOP="${1:?usage: certManagerStandIn.sh STOPFILE}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
ready() { # kind name [namespace]
  local ns=(); [ -n "${3:-}" ] && ns=(-n "$3")
  kubectl patch "$1" "$2" "${ns[@]}" --subresource=status --type=merge -p \
    "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"E2EStandIn\",\"message\":\"stand-in for cert-manager\",\"lastTransitionTime\":\"$(now)\"}]}}" >/dev/null 2>&1
}
# "<namespace> <name>" of the objects of a kind that are not Ready yet.
notReady() { kubectl get "$1" -A -o json 2>/dev/null | jq -r '.items[]
  | select([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length == 0)
  | "\(.metadata.namespace // "-") \(.metadata.name)"'; }
while [ ! -e "$STOP" ]; do
  notReady certificates.cert-manager.io | while read -r ns name; do
    [ -n "$name" ] || continue
    spec="$(kubectl get certificates.cert-manager.io "$name" -n "$ns" -o json)"
    secret="$(jq -r .spec.secretName <<<"$spec")"; cn="$(jq -r '.spec.commonName // .metadata.name' <<<"$spec")"
    if ! kubectl get secret "$secret" -n "$ns" >/dev/null 2>&1; then
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=$cn" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -keyout "$WORK/k" -out "$WORK/c" 2>/dev/null
      kubectl create secret generic "$secret" -n "$ns" --type=kubernetes.io/tls \
        --from-file=tls.crt="$WORK/c" --from-file=tls.key="$WORK/k" --from-file=ca.crt="$WORK/c" >/dev/null
      rm -f "$WORK/k" "$WORK/c"
    fi
    ready certificates.cert-manager.io "$name" "$ns"
  done
  notReady clusterissuers.cert-manager.io | while read -r _ name; do
    [ -n "$name" ] && ready clusterissuers.cert-manager.io "$name"
  done
  notReady issuers.cert-manager.io | while read -r ns name; do
    [ -n "$name" ] && ready issuers.cert-manager.io "$name" "$ns"
  done
  sleep 1
done

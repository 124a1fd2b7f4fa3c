#!/usr/bin/env bash
# E2E STAND-IN for cert-manager's controller (no published module builds it): while it runs, every
# cert-manager Certificate with `isCA: true` gets the Secret cert-manager would write (a self-signed
# CA from openssl, with the Certificate's commonName, ca.crt = tls.crt as cert-manager's selfSigned
# issuer does) and a Ready=True condition; every Issuer/ClusterIssuer gets Ready=True. That is what
# `pulumi.com/waitFor: condition=Ready` on our objects waits for. Only for the e2e tier.
#
# It also stands in for cert-manager's CertificateSigningRequest controllers (what cert-manager runs
# with --feature-gates=ExperimentalCertificateSigningRequestControllers=true, the mode our
# kubernetesCsr backend needs): a Kubernetes CSR whose signerName is `clusterissuers.cert-manager.io/<name>`
# or `issuers.cert-manager.io/<namespace>.<name>`, APPROVED (by someone else: istiod as RA; cert-manager
# never approves Kubernetes CSRs) and not denied/failed/signed, is signed with that CA issuer's Secret
# (`spec.ca.secretName`: tls.crt/tls.key, in CERT_MANAGER_NAMESPACE for ClusterIssuers, cert-manager's
# cluster resource namespace) by openssl: the CSR's subject and SANs, the CSR's `spec.usages`,
# CA:FALSE, 1 day. status.certificate gets the leaf alone, as cert-manager's CA issuer returns it for
# a self-signed CA (its chain without the root; istiod takes the root from meshConfig.caCertificates).
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
CM_NS="${CERT_MANAGER_NAMESPACE:-cert-manager}"
# "<csr> <signer>" of the Kubernetes CSRs for cert-manager signers waiting to be signed.
toSign() { kubectl get certificatesigningrequests -o json 2>/dev/null | jq -r '.items[]
  | select(.spec.signerName | test("^(clusterissuers|issuers)[.]cert-manager[.]io/"))
  | select([.status.conditions[]? | select(.type == "Approved" and .status == "True")] | length > 0)
  | select([.status.conditions[]? | select(.type == "Denied" or .type == "Failed")] | length == 0)
  | select((.status.certificate // "") == "")
  | "\(.metadata.name) \(.spec.signerName)"'; }
sign() { # csr signer
  local csr="$1" signer="$2" ref ns issuer secret usages ku eku
  ref="${signer#*/}"
  case "$signer" in
    clusterissuers.*) ns="$CM_NS"; issuer="$(kubectl get clusterissuers.cert-manager.io "$ref" -o json 2>/dev/null)" ;;
    *) ns="${ref%%.*}"; issuer="$(kubectl get issuers.cert-manager.io "${ref#*.}" -n "$ns" -o json 2>/dev/null)" ;;
  esac
  secret="$(jq -r '.spec.ca.secretName // empty' <<<"$issuer" 2>/dev/null)"
  [ -n "$secret" ] || return 0 # no such CA issuer: cert-manager leaves the CSR alone too
  kubectl get secret "$secret" -n "$ns" -o json | jq -r '.data["tls.crt"]' | base64 -d > "$WORK/ca.crt"
  kubectl get secret "$secret" -n "$ns" -o json | jq -r '.data["tls.key"]' | base64 -d > "$WORK/ca.key"
  kubectl get certificatesigningrequests "$csr" -o json > "$WORK/csr.json"
  jq -r .spec.request "$WORK/csr.json" | base64 -d > "$WORK/req.pem"
  usages="$(jq -r '.spec.usages[]?' "$WORK/csr.json")"
  ku=(); eku=()
  while read -r u; do
    case "$u" in
      "digital signature") ku+=(digitalSignature) ;; "key encipherment") ku+=(keyEncipherment) ;;
      "server auth") eku+=(serverAuth) ;; "client auth") eku+=(clientAuth) ;;
    esac
  done <<<"$usages"
  { echo "basicConstraints=critical,CA:FALSE"
    [ ${#ku[@]} -gt 0 ] && echo "keyUsage=critical,$(IFS=,; echo "${ku[*]}")"
    [ ${#eku[@]} -gt 0 ] && echo "extendedKeyUsage=$(IFS=,; echo "${eku[*]}")"
    echo "subjectKeyIdentifier=hash"; echo "authorityKeyIdentifier=keyid"; } > "$WORK/ext"
  openssl x509 -req -in "$WORK/req.pem" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 1 -copy_extensions copy -extfile "$WORK/ext" -out "$WORK/leaf.pem" 2>"$WORK/err" || { cat "$WORK/err" >&2; rm -f "$WORK/ca.key"; return 0; }
  rm -f "$WORK/ca.key"
  jq --arg c "$(base64 -w0 < "$WORK/leaf.pem")" '.status.certificate = $c' "$WORK/csr.json" \
    | kubectl replace --raw "/apis/certificates.k8s.io/v1/certificatesigningrequests/$csr/status" -f - >/dev/null 2>&1
}
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
  toSign | while read -r csr signer; do
    [ -n "$signer" ] && sign "$csr" "$signer"
  done
  sleep 1
done

#!/usr/bin/env bash
# Locates (downloading once, through the Go module proxy) the pinned Istio source module and
# prints its directory in the Go module cache. The module is used IN PLACE (read-only), never
# copied into the repository. What the e2e tier takes from it:
#   manifests/charts/base/files/crd-all.gen.yaml   Istio's CRDs (PeerAuthentication, Sidecar, ProxyConfig, ...)
#   manifests/charts/{base,istio-control/istio-discovery,gateway}   the Helm charts
#
# Usage: bash scripts/e2e/istio-module.sh              -> prints the module dir
#        bash scripts/e2e/istio-module.sh --charts DIR -> also makes DIR/{base,istiod,gateway}
#           symlinks (the layout of released charts, which istio-mesh-ca:istio.chartPath expects;
#           in the source tree the istiod chart lives in istio-control/istio-discovery)
#
# ISTIO_MODULE_VERSION overrides the pin. The mirror serves pseudo-versions of istio.io/istio
# (there are no semver tags of the module); this one is a master commit of 2026-08-27, newer than
# the 1.29.2 release our stacks pin for Helm: its CRDs serve v1 and v1beta1 of every kind we use.
set -euo pipefail
ISTIO_MODULE_VERSION="${ISTIO_MODULE_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}"
export PATH="$PATH:/usr/local/go/bin"
command -v go > /dev/null || { echo "go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }

# Outside any module, so no go.mod/go.sum is touched.
dir="$(cd / && GOFLAGS= go mod download -json "istio.io/istio@${ISTIO_MODULE_VERSION}" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] && [ -f "$dir/manifests/charts/base/files/crd-all.gen.yaml" ] || {
  echo "istio.io/istio@${ISTIO_MODULE_VERSION}: download failed or unexpected layout (dir '$dir')" >&2; exit 1; }

if [ "${1:-}" = --charts ]; then
  charts="${2:?--charts DIR}"
  mkdir -p "$charts"
  ln -sfn "$dir/manifests/charts/base" "$charts/base"
  ln -sfn "$dir/manifests/charts/istio-control/istio-discovery" "$charts/istiod"
  ln -sfn "$dir/manifests/charts/gateway" "$charts/gateway"
fi
echo "$dir"

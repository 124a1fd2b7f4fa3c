#!/usr/bin/env bash
# Builds the local e2e toolchain from pinned Go modules into tools/bin/:
#   pulumi, pulumi-language-nodejs        (module tools/pulumi, pulumi v3.259.0; _overlay/: two
#                                          dependencies' word lists load lazily, tools/README.md)
#   kube-apiserver, kube-controller-manager, kubectl, etcd   (module tools/kube)
#   pulumi-resource-kubernetes            (module tools/k8sprovider, provider/v4 master commit,
#                                          reporting the npm SDK's version)
#   pulumi-resource-tls-double            (module tools/tlsdouble: TEST DOUBLE, e2e only)
#   pilot-discovery (istiod), istioctl, istio-ca-client   (module tools/istio, istio.io/istio
#                                          at the pseudo-version scripts/e2e/istio-module.sh pins)
#   cert-manager-controller               (module tools/certmanager: cert-manager's registered
#                                          controllers, github.com/cert-manager/cert-manager v1.21.2)
#   vault                                 (module tools/vault: HashiCorp Vault, server and agent)
#   pulumi-resource-vault-double          (module tools/vaultdouble: TEST DOUBLE, e2e only)
# Versions are pinned by tools/*/go.mod + go.sum (nothing is resolved at build
# time). Uses the default Go caches (GOCACHE, GOMODCACHE), so CI can cache them.
# A group is skipped when its binaries exist and its inputs (go.mod, go.sum,
# *.go, _overlay/, ldflags, go version) are unchanged; FORCE=1 rebuilds everything.
#
# Usage: bash tools/build.sh [GROUP...]   (default: all; groups in ALL_GROUPS below)
# Concurrent runs (two e2e wrappers, a developer and a script) wait for each other: one Go build at
# a time on the machine's cores, and never two writers of the same binary.
set -euo pipefail
TOOLS="$(cd "$(dirname "$0")" && pwd)"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/.cache/stamps"
mkdir -p "$BIN" "$STAMPS"
exec 9>"$TOOLS/.cache/build.lock"
flock 9
export GOFLAGS="${GOFLAGS:-} -mod=readonly" # never edit go.mod/go.sum during a build

# Version of a required module, read from a go.mod (single source of truth).
modver() { awk -v m="$2" '$1==m {print $2; exit}' "$1"; }

# overlay_modfile GROUP MODULE_DIR: for each "module dir" line of MODULE_DIR/_overlay/modules.txt, a copy
# of that module (the version go.mod pins, from the module proxy as go.sum checks it) with the files of
# _overlay/<dir>/ over its own; prints a go.mod (for -modfile) that is MODULE_DIR's plus a `replace` of
# each module by its copy. go.mod and go.sum themselves stay as committed (tools/README.md, "Overlays").
overlay_modfile() {
  local group="$1" dir="$2" work="$TOOLS/.cache/overlay/$1" mod sub ver src dst
  rm -rf "$work"; mkdir -p "$work"
  cp "$dir/go.mod" "$work/go.mod"; cp "$dir/go.sum" "$work/go.sum"
  while read -r mod sub; do
    case "$mod" in "" | "#"*) continue ;; esac
    ver="$(modver "$dir/go.mod" "$mod")"
    src="$(cd "$dir" && go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$src" ] && [ -d "$src" ] || { echo "$group: could not download $mod@$ver (dir '$src')" >&2; exit 1; }
    dst="$work/$sub@$ver"
    cp -r "$src" "$dst"; chmod -R u+w "$dst"
    cp -r "$dir/_overlay/$sub/." "$dst/"
    # A module from before go.mod files (the proxy synthesizes one): a replacement directory needs its own.
    [ -f "$dst/go.mod" ] || echo "module $mod" > "$dst/go.mod"
    # Relative to the module's directory (as go resolves it), so the binary records no absolute path.
    echo "replace $mod => $(realpath --relative-to="$dir" "$dst")" >> "$work/go.mod"
  done < "$dir/_overlay/modules.txt"
  echo "$work/go.mod"
}

# build GROUP MODULE_DIR LDFLAGS "OUTPUT..." PACKAGE...
build() {
  local group="$1" dir="$2" ldflags="$3" outs="$4"; shift 4
  local key missing=0 t0
  key="$( (go version; echo "$ldflags $*"; cd "$dir" && cat go.mod go.sum && find . \( -name '*.go' -o -path './_overlay/*' \) -type f | sort | xargs cat) | sha256sum | cut -c1-16)"
  for o in $outs; do [ -x "$BIN/$o" ] || missing=1; done
  if [ "${FORCE:-0}" != 1 ] && [ "$missing" = 0 ] && [ "$(cat "$STAMPS/$group" 2>/dev/null)" = "$key" ]; then
    echo "== $group: up to date ($outs)"; return
  fi
  echo "== $group: building $outs"
  t0=$(date +%s)
  local out="$BIN/"; [ "$#" = 1 ] && [ "$(wc -w <<<"$outs")" = 1 ] && out="$BIN/$outs" # one binary: name it
  local modfile=()
  [ -f "$dir/_overlay/modules.txt" ] && modfile=(-modfile "$(overlay_modfile "$group" "$dir")")
  (cd "$dir" && go build "${modfile[@]}" -trimpath -buildvcs=false -ldflags "-s -w $ldflags" -o "$out" "$@")
  echo "$key" > "$STAMPS/$group"
  echo "== $group: built in $(( $(date +%s) - t0 ))s"
}

T0=$(date +%s)
ALL_GROUPS=(pulumi kube k8sprovider tlsdouble istio certmanager vault vaultdouble)
groups=("$@"); [ ${#groups[@]} -gt 0 ] || groups=("${ALL_GROUPS[@]}")
for g in "${groups[@]}"; do
  case "$g" in
  pulumi)
    v="$(modver "$TOOLS/pulumi/go.mod" github.com/pulumi/pulumi/pkg/v3)"
    build pulumi "$TOOLS/pulumi" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      "pulumi pulumi-language-nodejs" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./pulumi-language-nodejs
    ;;
  kube)
    v="$(modver "$TOOLS/kube/go.mod" k8s.io/kubernetes)" # e.g. v1.35.4
    minor="${v#v1.}"; minor="${minor%%.*}"
    build kube "$TOOLS/kube" \
      "-X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
      "kube-apiserver kube-controller-manager kubectl etcd" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl ./etcd
    ;;
  k8sprovider)
    # The engine matches a plugin by the version the npm SDK requests, so the binary reports
    # @pulumi/kubernetes's version (package-lock.json), not the module's pseudo-version.
    v="$(node -p 'require("'"$TOOLS"'/../package-lock.json").packages["node_modules/@pulumi/kubernetes"].version')"
    # `go mod download -json` fetches the module when the cache lacks it and prints its directory;
    # `go list -m -f {{.Dir}}` under -mod=readonly prints "" for a module not yet downloaded (a
    # fresh machine), which made embedgen read /cmd/pulumi-resource-kubernetes/schema.json.
    moddir="$(cd "$TOOLS/k8sprovider" && go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$moddir" ] && [ -d "$moddir" ] || {
      echo "k8sprovider: could not download github.com/pulumi/pulumi-kubernetes/provider/v4 (dir '$moddir')" >&2; exit 1; }
    src="$moddir/cmd/pulumi-resource-kubernetes"
    (cd "$TOOLS/k8sprovider" && go run ./embedgen "$src" "$v" .)
    build k8sprovider "$TOOLS/k8sprovider" \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
      "pulumi-resource-kubernetes" .
    ;;
  tlsdouble)
    # TEST DOUBLE of pulumi-resource-tls for the e2e tier only (tools/tlsdouble/README.md).
    # Installed into the e2e tier's PULUMI_HOME, never on a user's machine.
    build tlsdouble "$TOOLS/tlsdouble" "" "pulumi-resource-tls-double" .
    ;;
  istio)
    # Istio's own binaries, for the e2e tier's istiod-as-a-local-process checks (docs/e2e.md), and
    # the proxyless data plane: pilot-agent (istio-agent, no Envoy) and grpc-echo (ours, grpc-go's
    # xDS server and client). One `go build` for all, so the packages they share compile once. The
    # module version must be the one scripts/e2e/istio-module.sh pins (charts and CRDs come from it too).
    v="$(modver "$TOOLS/istio/go.mod" istio.io/istio)"
    pin="$(sed -n 's/^ISTIO_MODULE_VERSION="${ISTIO_MODULE_VERSION:-\(.*\)}"$/\1/p' "$TOOLS/../scripts/e2e/istio-module.sh")"
    [ "$v" = "$pin" ] || { echo "tools/istio/go.mod requires istio.io/istio $v, scripts/e2e/istio-module.sh pins $pin" >&2; exit 1; }
    build istio "$TOOLS/istio" "" \
      "pilot-discovery istioctl pilot-agent istio-ca-client grpc-echo" \
      istio.io/istio/pilot/cmd/pilot-discovery istio.io/istio/istioctl/cmd/istioctl istio.io/istio/pilot/cmd/pilot-agent \
      ./istio-ca-client ./grpc-echo
    ;;
  certmanager)
    # cert-manager's own controllers (tools/certmanager/README.md): the module does not ship
    # cmd/controller (a nested module the proxy does not serve), so a main of ours runs the
    # controllers registered by its exported packages.
    build certmanager "$TOOLS/certmanager" "" "cert-manager-controller" .
    ;;
  vault)
    # HashiCorp Vault, server and agent in one binary (tools/vault/go.mod says why v1.21.1 and how
    # its sdk is pinned). BuildDate (`vault version`, sys/version-history): the release's own time,
    # from the module proxy's .info of the pinned version.
    info="$(cd "$TOOLS/vault" && go mod download -json github.com/hashicorp/vault | sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p')"
    built="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")"
    [ -n "$built" ] || { echo "vault: no release time in $info" >&2; exit 1; }
    build vault "$TOOLS/vault" "-X github.com/hashicorp/vault/version.BuildDate=$built" "vault" github.com/hashicorp/vault
    ;;
  vaultdouble)
    # TEST DOUBLE of pulumi-resource-vault for the e2e tier only (tools/vaultdouble/README.md),
    # every operation done by the real Vault API. Installed into the e2e PULUMI_HOME, never for users.
    build vaultdouble "$TOOLS/vaultdouble" "" "pulumi-resource-vault-double" .
    ;;
  *) echo "unknown group $g (expected: ${ALL_GROUPS[*]})" >&2; exit 2 ;;
  esac
done
echo "== total: $(( $(date +%s) - T0 ))s; binaries in $BIN"

#!/usr/bin/env bash
# Installs the provider plugins built by tools/build.sh into $PULUMI_HOME (never ~/.pulumi unless
# PULUMI_HOME says so), at the versions the npm SDKs of package-lock.json request, so the engine
# finds them without downloading anything:
#   kubernetes  tools/bin/pulumi-resource-kubernetes   the real provider (Go module build)
#   tls         tools/bin/pulumi-resource-tls-double   a TEST DOUBLE (tools/tlsdouble/README.md);
#               installed only for the e2e tier and `npm run local`, never for a user's stacks
#   vault       tools/bin/pulumi-resource-vault-double  a TEST DOUBLE (tools/vaultdouble/README.md) doing
#               every operation against a real Vault; e2e tier and `npm run local` only, never for users
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
: "${PULUMI_HOME:?set PULUMI_HOME to the directory the plugins go to}"
PULUMI="${PULUMI:-$ROOT/tools/bin/pulumi}"
sdk() { node -p "require('$ROOT/package-lock.json').packages['node_modules/@pulumi/$1'].version"; }

install() { # kind name version binary
  [ -x "$4" ] || { echo "missing $4: run bash tools/build.sh" >&2; exit 1; }
  "$PULUMI" plugin install "$1" "$2" "v$3" --file "$4" --reinstall --non-interactive
  echo "installed $1 $2 v$3 from $4"
}
install resource kubernetes "$(sdk kubernetes)" "$ROOT/tools/bin/pulumi-resource-kubernetes"
install resource tls "$(sdk tls)" "$ROOT/tools/bin/pulumi-resource-tls-double"
install resource vault "$(sdk vault)" "$ROOT/tools/bin/pulumi-resource-vault-double"

#!/usr/bin/env bash
# Smoke test of the locally built Pulumi toolchain (bash tools/build.sh):
# creates a throwaway TypeScript project OUTSIDE the repo (one ComponentResource,
# one stack output), runs `pulumi up` and `pulumi destroy` with the real engine
# against a local file backend. Uses the repo's node_modules (npm ci first).
# Usage: bash scripts/e2e/pulumi-smoke.sh      (KEEP=1 keeps the temp dir)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/e2e-smoke.XXXXXX")"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
[ -d "$ROOT/node_modules/@pulumi/pulumi" ] || { echo "run npm ci in $ROOT first" >&2; exit 1; }

export PATH="$ROOT/tools/bin:$PATH"
export PULUMI_HOME="$WORK/.pulumi-home" # no state in ~/.pulumi
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE=test PULUMI_BACKEND_URL="file://$WORK/state"
mkdir -p "$WORK/state" "$WORK/project"
cd "$WORK/project"
ln -s "$ROOT/node_modules" node_modules

cat > Pulumi.yaml <<'EOF'
name: e2e-smoke
runtime:
  name: nodejs
  options:
    typescript: true
EOF
cat > package.json <<'EOF'
{ "name": "e2e-smoke", "private": true, "main": "index.ts" }
EOF
cat > tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "types": ["node"] } }
EOF
cat > index.ts <<'EOF'
import * as pulumi from "@pulumi/pulumi";

class Greeter extends pulumi.ComponentResource {
    public readonly greeting: pulumi.Output<string>;
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("e2e:smoke:Greeter", name, {}, opts);
        this.greeting = pulumi.output(`hello from ${name}`);
        this.registerOutputs({ greeting: this.greeting });
    }
}

const g = new Greeter("smoke");
export const greeting = g.greeting;
EOF

pulumi version
pulumi stack init dev --non-interactive
pulumi up --yes --non-interactive
out="$(pulumi stack output greeting)"
[ "$out" = "hello from smoke" ] || { echo "unexpected stack output: $out" >&2; exit 1; }
n="$(pulumi stack export | grep -c '"e2e:smoke:Greeter"' || true)"
[ "$n" -ge 1 ] || { echo "component not in state" >&2; exit 1; }
pulumi destroy --yes --non-interactive
pulumi stack rm --yes --non-interactive dev
echo "SMOKE OK: up/output/destroy with $(pulumi version)"

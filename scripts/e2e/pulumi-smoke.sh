#!/usr/bin/env bash
# Smoke test of the locally built Pulumi toolchain (bash tools/build.sh):
# creates a throwaway TypeScript project OUTSIDE the repo (one ComponentResource,
# config, one stack output) and a tiny policy pack, then with the real engine and
# a local file backend: `pulumi up` (with the pack), a preview the pack must
# reject, `pulumi destroy`. Uses the repo's node_modules (npm ci first).
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
mkdir -p "$WORK/state" "$WORK/project" "$WORK/pack"

# --- policy pack: rejects resources whose name starts with "forbidden" ---
cd "$WORK/pack"
ln -s "$ROOT/node_modules" node_modules
echo 'runtime: nodejs' > PulumiPolicy.yaml
echo '{ "name": "smoke-pack", "version": "0.0.1", "main": "index.ts" }' > package.json
cat > index.ts <<'EOF'
import { PolicyPack } from "@pulumi/policy";

new PolicyPack("smoke-pack", {
    policies: [{
        name: "no-forbidden-names",
        description: "resource names must not start with 'forbidden'",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (args.name.startsWith("forbidden")) { report(`forbidden name ${args.name}`); }
        },
    }],
});
EOF

# --- program: one ComponentResource named from config, one output ---
cd "$WORK/project"
ln -s "$ROOT/node_modules" node_modules
cat > Pulumi.yaml <<'EOF'
name: e2e-smoke
runtime:
  name: nodejs
  options:
    typescript: true
EOF
echo '{ "name": "e2e-smoke", "private": true, "main": "index.ts" }' > package.json
echo '{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "types": ["node"] } }' > tsconfig.json
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

const g = new Greeter(new pulumi.Config().get("name") ?? "smoke");
export const greeting = g.greeting;
EOF

pulumi version
pulumi stack init dev --non-interactive
pulumi up --yes --non-interactive --policy-pack ../pack
out="$(pulumi stack output greeting)"
[ "$out" = "hello from smoke" ] || { echo "unexpected stack output: $out" >&2; exit 1; }
pulumi stack export | grep -q '"e2e:smoke:Greeter"' || { echo "component not in state" >&2; exit 1; }

pulumi config set name forbidden-x
if pulumi preview --non-interactive --policy-pack ../pack > ../rejected.log 2>&1; then
  echo "policy pack did not reject a forbidden name" >&2; exit 1
fi
grep -q 'forbidden name forbidden-x' ../rejected.log || { cat ../rejected.log >&2; exit 1; }
echo "policy pack rejected forbidden-x as expected"

pulumi destroy --yes --non-interactive
pulumi stack rm --yes --non-interactive dev
echo "SMOKE OK: up (+policy pack), output, policy rejection, destroy with pulumi $(pulumi version)"

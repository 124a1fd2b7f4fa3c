#!/usr/bin/env bash
# Smoke of the Vault TEST DOUBLE through the real engine: a throwaway TypeScript project outside the
# repo (node_modules symlinked) using @pulumi/vault against a `vault server -dev` on a loopback port
# in 18200-18299, with PULUMI_HOME and a file backend in a temp dir:
#   up -> preview --expect-no-changes -> refresh --expect-no-changes -> an in-place update and a
#   replacement -> destroy, checking Vault's own view after each step.
# Needs tools/bin/{pulumi,pulumi-language-nodejs,pulumi-resource-vault-double,vault} and npm ci.
# Usage: bash tools/vaultdouble/engine-smoke.sh      (KEEP=1 keeps the temp dir; PORT=18250 to pick the port)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="$ROOT/tools/bin"
for b in pulumi pulumi-language-nodejs pulumi-resource-vault-double vault; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b (bash tools/build.sh)" >&2; exit 1; }
done
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vaultdouble-smoke.XXXXXX")"
PORT="${PORT:-18250}"
export VAULT_ADDR="http://127.0.0.1:$PORT" ROOT_TOKEN="smoke-root-$RANDOM"
VAULT_PID=""
cleanup() {
  [ -n "$VAULT_PID" ] && kill "$VAULT_PID" 2>/dev/null && wait "$VAULT_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

HOME="$WORK" "$BIN/vault" server -dev -dev-listen-address="127.0.0.1:$PORT" -dev-root-token-id="$ROOT_TOKEN" \
  -dev-no-store-token > "$WORK/vault.log" 2>&1 &
VAULT_PID=$!
for _ in $(seq 100); do
  curl -sf "$VAULT_ADDR/v1/sys/health" > /dev/null && break
  sleep 0.2
done
curl -sf "$VAULT_ADDR/v1/sys/health" > /dev/null || { cat "$WORK/vault.log" >&2; exit 1; }
vget() { curl -sf -H "X-Vault-Token: $ROOT_TOKEN" "$VAULT_ADDR/v1/$1"; }

export PATH="$BIN:$PATH"
export PULUMI_HOME="$WORK/.pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE=smoke PULUMI_BACKEND_URL="file://$WORK/state"
mkdir -p "$WORK/state" "$WORK/project"
pulumi plugin install resource vault v7.8.0 --file "$BIN/pulumi-resource-vault-double" --reinstall --non-interactive

cd "$WORK/project"
ln -s "$ROOT/node_modules" node_modules
printf 'name: vaultdouble-smoke\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' > Pulumi.yaml
echo '{ "name": "vaultdouble-smoke", "private": true, "main": "index.ts" }' > package.json
echo '{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "types": ["node"] } }' > tsconfig.json
cat > index.ts <<'EOF'
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";

const cfg = new pulumi.Config();
const provider = new vault.Provider("vault", { address: cfg.require("address"), token: cfg.requireSecret("token"), skipChildToken: false });
const opts = { provider };
const rootMount = new vault.Mount("root-mount", { path: "pki", type: "pki", maxLeaseTtlSeconds: 315360000,
  description: cfg.get("description") ?? "root" }, opts);
const interMount = new vault.Mount("inter-mount", { path: "istioca", type: "pki", maxLeaseTtlSeconds: 157680000 }, opts);
const kvMount = new vault.Mount("kv-mount", { path: "kv", type: "kv", options: { version: "2" } }, opts);
const root = new vault.pkisecret.SecretBackendRootCert("root", { backend: rootMount.path, type: "internal",
  commonName: cfg.get("rootCn") ?? "Smoke Root", ttl: "87600h", keyType: "ec", keyBits: 256 }, opts);
const csr = new vault.pkisecret.SecretBackendIntermediateCertRequest("csr", { backend: interMount.path, type: "exported",
  commonName: "Smoke Intermediate", keyType: "ec", keyBits: 256 }, { ...opts, additionalSecretOutputs: ["privateKey"] });
const signed = new vault.pkisecret.SecretBackendRootSignIntermediate("sign", { backend: rootMount.path, csr: csr.csr,
  commonName: "Smoke Intermediate", ttl: "8760h", format: "pem", maxPathLength: 0 }, { ...opts, dependsOn: [root] });
new vault.pkisecret.SecretBackendIntermediateSetSigned("set-signed", { backend: interMount.path,
  certificate: pulumi.interpolate`${signed.certificate}\n${root.certificate}` }, opts);
const secret = new vault.kv.SecretV2("ca", { mount: kvMount.path, name: "istioca",
  dataJson: pulumi.secret(pulumi.all([signed.certificate, csr.privateKey]).apply(([c, k]) => JSON.stringify({ "ca-cert.pem": c, "ca-key.pem": k }))) },
  { ...opts, additionalSecretOutputs: ["dataJson", "data"] });
const policy = new vault.Policy("policy", { name: "istioca", policy: 'path "kv/data/istioca" {\n  capabilities = ["read"]\n}\n' }, opts);
export const rootPem = root.certificate;
export const key = csr.privateKey;
export const secretPath = secret.path;
export const policyName = policy.name;
EOF
pulumi stack init smoke --non-interactive
pulumi config set address "$VAULT_ADDR"
pulumi config set --secret token "$ROOT_TOKEN"

pulumi up --yes --non-interactive --skip-preview=false
vget sys/mounts/pki | grep -q '"type":"pki"' || { echo "pki mount not in Vault" >&2; exit 1; }
vget kv/data/istioca | grep -q 'ca-key.pem' || { echo "KV secret not in Vault" >&2; exit 1; }
vget sys/policies/acl/istioca | grep -q 'kv/data/istioca' || { echo "policy not in Vault" >&2; exit 1; }
pulumi stack output --json | grep -q '"key": "\[secret\]"' || { echo "the CSR key output is not secret" >&2; exit 1; }
pulumi stack export | grep -q 'BEGIN' && ! pulumi stack export | grep -q 'PRIVATE KEY' || { echo "a private key is in the state in plain text" >&2; exit 1; }

pulumi preview --expect-no-changes --non-interactive
pulumi refresh --yes --expect-no-changes --non-interactive

pulumi config set description "root CA"        # Mount.description: in place
pulumi up --yes --non-interactive > "$WORK/update.log"
grep -q 'updated' "$WORK/update.log" && ! grep -q 'replaced' "$WORK/update.log" || { cat "$WORK/update.log" >&2; exit 1; }
vget sys/mounts/pki | grep -q '"description":"root CA"' || { echo "description not tuned" >&2; exit 1; }

pulumi config set rootCn "Smoke Root 2"        # RootCert.commonName: ForceNew
pulumi up --yes --non-interactive > "$WORK/replace.log"
grep -q 'replaced' "$WORK/replace.log" || { cat "$WORK/replace.log" >&2; exit 1; }
pulumi preview --expect-no-changes --non-interactive

pulumi destroy --yes --non-interactive
for m in pki istioca kv; do
  if vget "sys/mounts/$m" > /dev/null 2>&1; then echo "mount $m left in Vault" >&2; exit 1; fi
done
if vget sys/policies/acl/istioca > /dev/null 2>&1; then echo "policy left in Vault" >&2; exit 1; fi
pulumi stack rm --yes --non-interactive
echo "vault double engine smoke: OK"

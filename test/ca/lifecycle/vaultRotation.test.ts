import * as crypto from "crypto";
import {
  ProgramRun,
  byName,
  isSecretValue,
  ofType,
  privateKeyOccurrences,
  runProgram,
  stackConfig,
} from "../../harness/program";
import { OpensslDir } from "../../harness/openssl";
import { T, fakeVault } from "../../vault/fakeVault";
import { goBinary, renderTemplates } from "../../vault/renderTemplates";
import { vaultReads } from "../../vault/vaultReads";
import { pemsOf, refusalWith, withStackReferences } from "./backendSupport";
import { EC, ROOT_STACK, asReference, changes, refusal, rootConfig, subjects } from "./support";

/**
 * The Vault backend with an offline root (Pulumi.staging.yaml, fast keys) walked through an
 * intermediate rotation and a root rotation, each run seeing the previous run's outputs as its own
 * StackReference state; and a Vault cluster stack taking its intermediate from a root CA stack.
 */

const A = "vault.hashicorp.com";
const CA_FILES = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"];
const VAULT_EC = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;
const NEW_ROOT = { key: EC, subject: { organization: "Example Corp", commonName: "Example Corp Istio Root CA 2" } };
const OLD = "O=Example Corp, CN=Example Corp Istio Root CA";
const NEW = "O=Example Corp, CN=Example Corp Istio Root CA 2";
const RESTART = { restartDeployments: [{ namespace: "apps", name: "web" }] };
const ISTIOD = "staging-istio-istiod";
const KV = "mesh-pki-intermediate-key";
const IMPORT = "mesh-pki-root-import";
const SET_SIGNED = "mesh-pki-intermediate-set-signed";
const PATCH = "staging-restarts-apps-web";
const issued = (base: string) => [`${base}-csr`, `${base}-sign`];
const ROOT2 = ["mesh-pki-root-g2", "mesh-pki-root-g2-cert", "mesh-pki-root-g2-key"];

/** Pulumi.staging.yaml with fast keys and the given lifecycle settings. */
function vaultConfig(ca: Record<string, unknown>, clusters?: unknown[]): Record<string, unknown> {
  const cfg = stackConfig("staging") as Record<string, any>;
  const base = cfg.ca;
  return {
    ...cfg,
    ...(clusters ? { clusters } : {}),
    ca: { ...base, root: { ...base.root, key: EC }, intermediate: { ...base.intermediate, key: VAULT_EC }, ...ca },
  };
}

/**
 * Fake Vault whose CSR resource keeps its key across deployments, as a real one does while the
 * resource stays: outputs are cached per CSR resource name (which the step names; checked below).
 */
function stickyVault() {
  const fv = fakeVault();
  const csrs = new Map<string, Record<string, any>>();
  let current = "";
  return {
    state: fv.state,
    use(csrName: string) {
      current = csrName;
    },
    extraState: (type: string, inputs: Record<string, any>) => {
      if (type !== T.csr) return fv.extraState(type, inputs);
      if (!csrs.has(current)) csrs.set(current, { ...fv.extraState(type, inputs)!, _key: fv.state.intermediateKey });
      const { _key, ...state } = csrs.get(current)!;
      fv.state.intermediateKey = _key;
      return state;
    },
  };
}

const steps: { label: string; rotation: Record<string, unknown>; csr: string; root?: Record<string, unknown> }[] = [
  { label: "steady", rotation: {}, csr: "mesh-pki-intermediate" },
  { label: "intermediate generation 2", rotation: { intermediateGeneration: 2 }, csr: "mesh-pki-intermediate-r1i2" },
  {
    label: "dual",
    rotation: { intermediateGeneration: 2, rootPhase: "dual", newRoot: NEW_ROOT },
    csr: "mesh-pki-intermediate-r1i2",
  },
  {
    label: "cutover",
    rotation: { intermediateGeneration: 2, rootPhase: "cutover", newRoot: NEW_ROOT },
    csr: "mesh-pki-intermediate-r2i2",
  },
  {
    label: "finalize",
    rotation: { intermediateGeneration: 2, rootPhase: "finalize", newRoot: NEW_ROOT },
    csr: "mesh-pki-intermediate-r2i2",
  },
  {
    label: "steady, root generation 2",
    rotation: { intermediateGeneration: 2, rootGeneration: 2 },
    csr: "mesh-pki-intermediate-r2i2",
    root: { ...NEW_ROOT },
  },
];

const runs: ProgramRun[] = [];
const keys: string[] = [];
const vault = stickyVault();

beforeAll(async () => {
  let previous: Record<string, unknown> | undefined;
  for (const s of steps) {
    vault.use(s.csr);
    const base = stackConfig("staging").ca as Record<string, any>;
    const cfg = vaultConfig({
      rotation: { ...s.rotation, ...RESTART },
      ...(s.root ? { root: { ...base.root, ...s.root } } : {}),
    });
    const run = await runProgram(cfg, { extraState: withStackReferences(vault.extraState, previous) });
    if (run.error) throw new Error(`${s.label}: ${run.error.message}`);
    runs.push(run);
    keys.push(vault.state.intermediateKey!);
    previous = run.outputs;
  }
}, 300_000);

const kvData = (run: ProgramRun): Record<string, string> => JSON.parse(byName(run, KV).inputs.dataJson);
const out = (run: ProgramRun) =>
  run.outputs.clusters.staging as { rootCertBundle: string; intermediateCert: string; certChain: string };

/**
 * istiod's four files as one KV version holds them: the certificate belongs to the key, the chain
 * starts with that certificate and ends with a root of the bundle, and a workload certificate signed
 * with that pair verifies through the chain against the bundle (openssl).
 */
function expectConsistentCaFiles(files: Record<string, string>, label: string): void {
  expect(Object.keys(files).sort()).toEqual(CA_FILES);
  const cert = new crypto.X509Certificate(files["ca-cert.pem"]);
  expect({ label, matches: cert.checkPrivateKey(crypto.createPrivateKey(files["ca-key.pem"])) }).toEqual({
    label,
    matches: true,
  });
  const chain = pemsOf(files["cert-chain.pem"]);
  expect(chain[0]).toBe(files["ca-cert.pem"]);
  expect(pemsOf(files["root-cert.pem"])).toContain(chain[chain.length - 1]);
  const o = new OpensslDir();
  o.write("ca-cert.pem", files["ca-cert.pem"]);
  o.write("ca-key.pem", files["ca-key.pem"]);
  o.write("cert-chain.pem", files["cert-chain.pem"]);
  o.write("root-cert.pem", files["root-cert.pem"]);
  o.write("chain-root.pem", chain[chain.length - 1]);
  expect(
    o.verify("-x509_strict", "-CAfile", "chain-root.pem", "-untrusted", "cert-chain.pem", "ca-cert.pem"),
  ).toMatchObject({ ok: true });
  expect(o.verify("-x509_strict", "-CAfile", "root-cert.pem", "ca-cert.pem")).toMatchObject({ ok: true });
  const leaf = o.leaf("workload", "ca-cert.pem", "ca-key.pem");
  expect(o.verify("-x509_strict", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", leaf)).toMatchObject({
    ok: true,
  });
  o.cleanup();
}

/** Executes istiod's agent templates (Go) against the KV secrets the run wrote, and nothing else. */
function renderIstiodFiles(go: string, run: ProgramRun, istiod = ISTIOD): Record<string, string> {
  const ann = byName(run, istiod).inputs.values.pilot.podAnnotations as Record<string, string>;
  const reads = vaultReads(run);
  expect(Object.keys(reads)).toEqual(["kv/data/istioca"]);
  for (const f of CA_FILES) expect(ann[`${A}/agent-inject-secret-${f}`]).toBe("kv/data/istioca");
  return renderTemplates(
    go,
    Object.fromEntries(CA_FILES.map((f) => [f, ann[`${A}/agent-inject-template-${f}`]])),
    reads,
  );
}
const pilot = (run: ProgramRun) => byName(run, ISTIOD).inputs.values.pilot;

describe("vault backend, offline root: lifecycle walk", () => {
  it("records each step and names the CSR and its signature by signer and generation", () => {
    expect(
      runs.map((r) => [
        r.outputs.caLifecycle.rootPhase,
        r.outputs.caLifecycle.rootGeneration,
        r.outputs.caLifecycle.intermediateGeneration,
      ]),
    ).toEqual([
      ["steady", 1, 1],
      ["steady", 1, 2],
      ["dual", 1, 2],
      ["cutover", 1, 2],
      ["finalize", 1, 2],
      ["steady", 2, 2],
    ]);
    steps.forEach((s, i) => {
      expect(ofType(runs[i], T.csr).map((r) => r.name)).toEqual([`${s.csr}-csr`]);
      expect(ofType(runs[i], "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name)).toEqual([
        `${s.csr}-sign`,
      ]);
    });
  });

  it("generates every root key of every step (both generations while two are trusted) only after Vault's audit device", () => {
    // A token Vault refuses fails the audit device first; a key that did not wait could be created beside it.
    const keysWaiting = runs.map((r) =>
      ofType(r, "tls:index/privateKey:PrivateKey").map((k) => [
        k.name,
        r.dependsOn.get(k.name)?.includes("mesh-pki-audit"),
      ]),
    );
    expect(keysWaiting.map((ks) => ks.map(([n]) => n))).toEqual([
      ["mesh-pki-root-key"],
      ["mesh-pki-root-key"],
      ["mesh-pki-root-key", ROOT2[2]],
      ["mesh-pki-root-key", ROOT2[2]],
      ["mesh-pki-root-key", ROOT2[2]],
      [ROOT2[2]],
    ]);
    expect(keysWaiting.flat().filter(([, waits]) => !waits)).toEqual([]);
  });

  it("keeps the historic root name (mesh-pki-root under the PKI component) in the first steady state", () => {
    expect(ofType(runs[0], "tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual([
      "mesh-pki-root-cert",
    ]);
    expect(runs[0].parentOf.get("mesh-pki-root")).toBe("mesh-pki");
  });

  it("stores the trust bundle in the root import and the KV secret: old+new in dual and cutover, only new from finalize on", () => {
    const expected = [[OLD], [OLD], [OLD, NEW], [OLD, NEW], [NEW], [NEW]];
    runs.forEach((run, i) => {
      expect(subjects(kvData(run)["root-cert.pem"])).toEqual(expected[i]);
      expect(subjects(byName(run, IMPORT).inputs.pemBundle)).toEqual(expected[i]);
      expect(kvData(run)["root-cert.pem"]).toBe(out(run).rootCertBundle);
    });
  });

  it("intermediate generation 2: new CSR (new Vault key) and signature; the roots and istiod stay", () => {
    const d = changes(runs[0], runs[1]);
    expect(d.added).toEqual(issued("mesh-pki-intermediate-r1i2"));
    expect(d.removed).toEqual(issued("mesh-pki-intermediate"));
    expect(d.changed).toEqual([KV, SET_SIGNED, PATCH]);
    expect(keys[1]).not.toBe(keys[0]);
    expect(pilot(runs[0]).env).not.toHaveProperty("ISTIO_MULTIROOT_MESH");
  });

  it("dual: adds the new root, re-imports the bundle, restarts istiod with ISTIO_MULTIROOT_MESH; the intermediate stays", () => {
    const d = changes(runs[1], runs[2]);
    expect(d.added).toEqual(ROOT2);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([ISTIOD, KV, IMPORT, PATCH].sort());
    expect(pilot(runs[2]).env).toMatchObject({ ISTIO_MULTIROOT_MESH: "true" });
    expect(pilot(runs[2]).podAnnotations["istio-mesh-ca/root-bundle-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(out(runs[2]).intermediateCert).toBe(out(runs[1]).intermediateCert);
  });

  it("cutover: the new root signs a new Vault CSR; ca_chain ends with the new root; istiod untouched", () => {
    const d = changes(runs[2], runs[3]);
    expect(d.added).toEqual(issued("mesh-pki-intermediate-r2i2"));
    expect(d.removed).toEqual(issued("mesh-pki-intermediate-r1i2"));
    expect(d.changed).toEqual([KV, SET_SIGNED, PATCH]);
    const newRoot = pemsOf(out(runs[3]).rootCertBundle)[1];
    expect(byName(runs[3], "mesh-pki-intermediate-r2i2-sign").inputs.caCertPem).toBe(newRoot);
    expect(subjects(byName(runs[3], SET_SIGNED).inputs.certificate)).toEqual([
      "O=Example Corp, CN=Example Corp Intermediate Authority",
      NEW,
    ]);
  });

  it("finalize: drops the old root from the bundle and restarts istiod without ISTIO_MULTIROOT_MESH; steady g2 deletes the old root only", () => {
    const d = changes(runs[3], runs[4]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([ISTIOD, KV, IMPORT, PATCH].sort());
    expect(pilot(runs[4]).env ?? {}).not.toHaveProperty("ISTIO_MULTIROOT_MESH");
    const last = changes(runs[4], runs[5]);
    expect(last.added).toEqual([]);
    expect(last.removed).toEqual(["mesh-pki-root", "mesh-pki-root-cert", "mesh-pki-root-key"]);
    expect(last.changed).toEqual([]);
  });

  it("the chain Vault stores verifies with openssl against the bundle of every step", () => {
    const o = new OpensslDir();
    runs.forEach((run, i) => {
      const chain = pemsOf(byName(run, SET_SIGNED).inputs.certificate);
      o.write(`bundle-${i}.pem`, out(run).rootCertBundle);
      o.write(`inter-${i}.pem`, chain[0]);
      o.write(`chain-root-${i}.pem`, chain[1]);
      expect(o.verify("-x509_strict", "-CAfile", `bundle-${i}.pem`, `inter-${i}.pem`).ok).toBe(true);
      expect(o.verify("-x509_strict", "-CAfile", `chain-root-${i}.pem`, `inter-${i}.pem`).ok).toBe(true);
      // The key Vault generated belongs to the certificate it serves.
      expect(new crypto.X509Certificate(chain[0]).checkPrivateKey(crypto.createPrivateKey(keys[i]))).toBe(true);
    });
    // During cutover the old intermediate (dual) still verifies: leaves it signed keep working.
    o.write("dual-inter.pem", out(runs[2]).intermediateCert);
    expect(o.verify("-CAfile", "bundle-3.pem", "dual-inter.pem").ok).toBe(true);
    expect(o.verify("-CAfile", "bundle-4.pem", "dual-inter.pem").ok).toBe(false);
  });

  it("writes the matching certificate and key, the chain and the bundle into the one KV secret at every step", () => {
    runs.forEach((run, i) => {
      const data = kvData(run);
      // What Vault issued (set-signed) and generated (the CSR's key), and what the backend's material says.
      expect(data).toEqual({
        "ca-cert.pem": pemsOf(byName(run, SET_SIGNED).inputs.certificate)[0],
        "ca-key.pem": `${keys[i]}\n`,
        "cert-chain.pem": out(run).certChain,
        "root-cert.pem": out(run).rootCertBundle,
      });
      expect(data["ca-cert.pem"]).toBe(out(run).intermediateCert);
      expectConsistentCaFiles(data, steps[i].label);
    });
    // A new key comes with its new certificate in the same write (generation bump, cutover).
    expect(kvData(runs[1])["ca-cert.pem"]).not.toBe(kvData(runs[0])["ca-cert.pem"]);
    expect(kvData(runs[3])["ca-cert.pem"]).not.toBe(kvData(runs[2])["ca-cert.pem"]);
    expect(subjects(kvData(runs[3])["cert-chain.pem"])).toEqual([
      "O=Example Corp, CN=Example Corp Intermediate Authority",
      NEW,
    ]);
  });

  it("grants istiod's policy read on the KV secret only, at every step", () => {
    for (const run of runs)
      expect(byName(run, "mesh-pki-policy").inputs.policy).toBe(
        'path "kv/data/istioca" {\n  capabilities = ["read"]\n}\n',
      );
  });

  it("keeps each intermediate key only in the KV secret, and the root keys out of Vault, at every step", () => {
    runs.forEach((run, i) => {
      const occ = privateKeyOccurrences(run);
      expect(occ.every((x) => x.secret)).toBe(true);
      expect(
        occ.filter((x) => x.pem.replace(/\\n/g, "\n") === keys[i]).map((x) => `${x.resource.name}:${x.path}`),
      ).toEqual([`${KV}:dataJson`]);
      expect(occ.filter((x) => x.resource.type.startsWith("vault:")).map((x) => x.resource.name)).toEqual([KV]);
      expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
    });
  });

  it("refuses a skipped phase at preview", async () => {
    const err = await refusal(vaultConfig({ rotation: { rootPhase: "finalize", newRoot: NEW_ROOT } }), runs[0].outputs);
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.rotation: rootPhase cannot go from "steady" to "finalize": apply rootPhase "dual" first/,
    );
  });

  it("guards the Vault-signed intermediate's expiry like the lifecycle's own intermediates", async () => {
    const base = stackConfig("staging").ca as Record<string, any>;
    const short = vaultConfig({ intermediate: { ...base.intermediate, key: VAULT_EC, ttl: "240h" } });
    const refused = await refusalWith(short, withStackReferences(fakeVault().extraState, undefined));
    expect(refused?.message).toMatch(
      /istio-mesh-ca:ca.expiry:\n {2}- intermediate \(Vault\) "O=Example Corp, CN=Example Corp Intermediate Authority" .* within the 14-day limit/,
    );
    const acknowledged = await runProgram(
      {
        ...short,
        ca: {
          ...(short.ca as object),
          expiry: { acknowledge: ["O=Example Corp, CN=Example Corp Intermediate Authority"] },
        },
      },
      { extraState: withStackReferences(fakeVault().extraState, undefined) },
    );
    expect(acknowledged.error).toBeUndefined();
    expect(acknowledged.warnings.join("\n")).toMatch(/istio-mesh-ca:ca.expiry: intermediate \(Vault\)/);
  });

  const go = goBinary();
  (go ? it : it.skip)(
    `renders istiod's four files byte for byte from the KV secret at every step${go ? "" : " (SKIPPED: no Go toolchain found)"}`,
    () => {
      runs.forEach((run, i) => {
        const rendered = renderIstiodFiles(go!, run);
        expect(rendered).toEqual({
          "ca-cert.pem": out(run).intermediateCert,
          "ca-key.pem": `${keys[i]}\n`,
          "cert-chain.pem": out(run).certChain,
          "root-cert.pem": out(run).rootCertBundle,
        });
        expectConsistentCaFiles(rendered, steps[i].label);
      });
      expect(subjects(renderIstiodFiles(go!, runs[2])["root-cert.pem"])).toEqual([OLD, NEW]);
    },
    240_000,
  );
});

describe("vault backend, intermediate from a root CA stack", () => {
  let root: ProgramRun;
  let cluster: ProgramRun;
  let rootDual: ProgramRun;
  let clusterDual: ProgramRun;
  const SOURCE = { intermediateSource: { kind: "rootStack", stack: ROOT_STACK } };
  const CLUSTERS = [{ name: "cluster-a", kubeContext: "cluster-a" }];
  beforeAll(async () => {
    root = await runProgram(rootConfig(), { extraState: withStackReferences(undefined, undefined) });
    if (root.error) throw root.error;
    cluster = await runProgram(vaultConfig(SOURCE, CLUSTERS), {
      extraState: withStackReferences(fakeVault().extraState, undefined, { [ROOT_STACK]: asReference(root) }),
    });
    if (cluster.error) throw cluster.error;
    rootDual = await runProgram(rootConfig({ rootPhase: "dual" }), {
      extraState: withStackReferences(undefined, root.outputs),
    });
    clusterDual = await runProgram(vaultConfig(SOURCE, CLUSTERS), {
      extraState: withStackReferences(fakeVault().extraState, cluster.outputs, { [ROOT_STACK]: asReference(rootDual) }),
    });
    for (const r of [rootDual, clusterDual]) if (r.error) throw r.error;
  }, 180_000);

  it("signs nothing: no CSR, no tls resource; the root stack's intermediate, key and chain are imported into the intermediate mount", () => {
    expect(ofType(cluster, T.csr)).toEqual([]);
    expect(cluster.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    const imported = byName(cluster, "mesh-pki-intermediate-import");
    expect(imported.type).toBe(T.configCa);
    expect(imported.inputs.backend).toBe("istioca");
    expect(isSecretValue(imported.rawInputs.pemBundle)).toBe(true);
    const published = root.outputs.intermediates["cluster-a"];
    expect(pemsOf(imported.inputs.pemBundle)).toEqual(pemsOf(published.certChain));
    expect(imported.inputs.pemBundle).toContain(root.outputs.intermediateKeys["cluster-a"].trim());
    expect(out2(cluster).intermediateCert).toBe(published.intermediateCert);
  });

  it("stores the root stack's bundle as root-cert.pem and the key in KV; the key only there and in the import, both secret", () => {
    const data = JSON.parse(byName(cluster, KV).inputs.dataJson);
    expect(data["root-cert.pem"]).toBe(root.outputs.rootCertBundle);
    expect(data["ca-key.pem"].trim()).toBe(root.outputs.intermediateKeys["cluster-a"].trim());
    const occ = privateKeyOccurrences(cluster);
    expect(occ.every((x) => x.secret)).toBe(true);
    expect(occ.map((x) => `${x.resource.name}:${x.path}`).sort()).toEqual([
      "mesh-pki-intermediate-import:pemBundle",
      `${KV}:dataJson`,
    ]);
    expect(JSON.stringify(cluster.outputs)).not.toMatch(/PRIVATE KEY/);
    const o = new OpensslDir();
    o.write("bundle.pem", data["root-cert.pem"]);
    o.write("inter.pem", out2(cluster).intermediateCert);
    expect(o.verify("-x509_strict", "-CAfile", "bundle.pem", "inter.pem").ok).toBe(true);
  });

  it("writes the root stack's intermediate, its key, chain and bundle together into the KV secret, before and after dual", () => {
    for (const [r, run] of [
      [root, cluster],
      [rootDual, clusterDual],
    ] as const) {
      const data = JSON.parse(byName(run, KV).inputs.dataJson);
      const published = r.outputs.intermediates["cluster-a"];
      expect(data["ca-cert.pem"]).toBe(published.intermediateCert);
      expect(data["ca-cert.pem"]).toBe(out2(run).intermediateCert);
      expect(data["cert-chain.pem"]).toBe(out2(run).certChain);
      expect(pemsOf(data["cert-chain.pem"])).toEqual(pemsOf(published.certChain));
      expect(data["ca-key.pem"].trim()).toBe(r.outputs.intermediateKeys["cluster-a"].trim());
      expect(data["root-cert.pem"]).toBe(r.outputs.rootCertBundle);
      expectConsistentCaFiles(data, run === cluster ? "root stack" : "root stack, dual");
    }
  });

  const go = goBinary();
  (go ? it : it.skip)(
    `renders istiod's four files byte for byte from the KV secret${go ? "" : " (SKIPPED: no Go toolchain found)"}`,
    () => {
      for (const run of [cluster, clusterDual]) {
        const data = JSON.parse(byName(run, KV).inputs.dataJson);
        const rendered = renderIstiodFiles(go!, run, "cluster-a-istio-istiod");
        expect(rendered).toEqual({
          "ca-cert.pem": out2(run).intermediateCert,
          "ca-key.pem": data["ca-key.pem"],
          "cert-chain.pem": out2(run).certChain,
          "root-cert.pem": out2(run).rootCertBundle,
        });
        expect(rendered["ca-key.pem"]).toMatch(
          /^-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]*-----END [A-Z ]*PRIVATE KEY-----\n$/,
        );
        expectConsistentCaFiles(rendered, run === cluster ? "root stack" : "root stack, dual");
      }
    },
    240_000,
  );

  it("follows the root stack into dual: both roots in KV and the root import, istiod restarted with ISTIO_MULTIROOT_MESH", () => {
    const data = JSON.parse(byName(clusterDual, KV).inputs.dataJson);
    expect(subjects(data["root-cert.pem"])).toEqual(["O=Istio, CN=Root CA", "O=Istio, CN=Root CA"]);
    expect(subjects(byName(clusterDual, IMPORT).inputs.pemBundle)).toHaveLength(2);
    expect(byName(clusterDual, "cluster-a-istio-istiod").inputs.values.pilot.env).toMatchObject({
      ISTIO_MULTIROOT_MESH: "true",
    });
    expect(clusterDual.outputs.caLifecycle).toEqual({
      rootPhase: "dual",
      rootGeneration: 1,
      intermediateGeneration: 1,
    });
  });
});

const out2 = (run: ProgramRun) =>
  run.outputs.clusters["cluster-a"] as { rootCertBundle: string; intermediateCert: string; certChain: string };

import * as crypto from "crypto";
import { azureMocks } from "../azureKeyVault/fixtures";
import { ProgramRun, byName, ofType, privateKeyOccurrences, runProgram, stackConfig } from "../../harness/program";
import { OpensslDir } from "../../harness/openssl";
import { pemsOf, withStackReferences } from "./backendSupport";
import { historicRootAlias } from "../../../components/ca/azureKeyVault/material";
import { EC, ROOT_STACK, asReference, changes, refusal, rootConfig, subjects, rotationSteps } from "./support";
import { configProblems } from "../../harness/configProblems";

/**
 * The Azure Key Vault backend (Pulumi.prod.yaml, fast keys) walked through an intermediate rotation
 * and a root rotation, each run seeing the previous run's outputs as its own StackReference state;
 * and a Key Vault cluster stack taking its material from a root CA stack.
 */

const CLUSTER = "aks-mesh-prod-weu";
const NEW_ROOT = { key: EC, subject: { organization: "Istio", commonName: "Root CA 2" } };
const OLD = "O=Istio, CN=Root CA";
const NEW = "O=Istio, CN=Root CA 2";
const RESTART = { restartDeployments: [{ namespace: "payments", name: "api" }] };
const PATCH = `${CLUSTER}-restarts-payments-api`;
const secretName = (cluster: string, object: string) => `${cluster}-ca-vault-${object}`;
const S = (object: string) => secretName(CLUSTER, object);
const inter = (n: string) => [n, `${n}-cert`, `${n}-csr`, `${n}-key`];
const I11 = `${CLUSTER}-ca-intermediate`;
const I12 = `${I11}-r1i2`;
const I22 = `${I11}-r2i2`;

/** Pulumi.prod.yaml with fast keys and `material` changed by `material`. */
function keyVaultConfig(material: Record<string, unknown>, clusters?: unknown[]): Record<string, unknown> {
  const cfg = stackConfig("prod") as Record<string, any>;
  const m = cfg.ca.material;
  return {
    ...cfg,
    ...(clusters ? { clusters } : {}),
    ca: {
      ...cfg.ca,
      material: { ...m, root: { ...m.root, key: EC }, intermediate: { ...m.intermediate, key: EC }, ...material },
    },
  };
}

const steps = rotationSteps(NEW_ROOT);

const runs: ProgramRun[] = [];
const azure = azureMocks();

beforeAll(async () => {
  let previous: Record<string, unknown> | undefined;
  for (const s of steps) {
    const run = await runProgram(
      keyVaultConfig({ rotation: { ...s.rotation, ...RESTART }, ...(s.root ? { root: s.root } : {}) }),
      { call: azure.call, extraState: withStackReferences(azure.extraState, previous) },
    );
    if (run.error) throw new Error(`${s.label}: ${run.error.message}`);
    runs.push(run);
    previous = run.outputs;
  }
}, 300_000);

const value = (run: ProgramRun, object: string, cluster = CLUSTER): string =>
  byName(run, secretName(cluster, object)).inputs.properties.value;

describe("azureKeyVault backend, generated material: lifecycle walk", () => {
  it("records each step for the next deployment", () => {
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
  });

  it("keeps the intermediate's historic name in the first steady state; the root is the lifecycle's mesh-root", () => {
    expect(ofType(runs[0], "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name)).toEqual([
      `${I11}-cert`,
    ]);
    expect(runs[0].parentOf.get(I11)).toBe(`${CLUSTER}-ca`);
    expect(ofType(runs[0], "tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual(["mesh-root-cert"]);
  });

  it("stores the root bundle in root-cert: old+new in dual and cutover, only new from finalize on", () => {
    expect(runs.map((r) => subjects(value(r, "root-cert")))).toEqual([
      [OLD],
      [OLD],
      [OLD, NEW],
      [OLD, NEW],
      [NEW],
      [NEW],
    ]);
    for (const r of runs) expect(value(r, "root-cert")).toBe(r.outputs.clusters[CLUSTER].rootCertBundle);
  });

  it("intermediate generation 2: new key and certificate in ca-cert, ca-key, cert-chain; root-cert stays", () => {
    const d = changes(runs[0], runs[1]);
    expect(d.added).toEqual(inter(I12));
    expect(d.removed).toEqual(inter(I11));
    expect(d.changed).toEqual([PATCH, S("ca-cert"), S("ca-key"), S("cert-chain")].sort());
  });

  it("dual: adds the new root and changes only root-cert (the add-on's CronJob restarts istiod for it)", () => {
    const d = changes(runs[1], runs[2]);
    expect(d.added).toEqual(["mesh-root-g2", "mesh-root-g2-cert", "mesh-root-g2-key"]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([PATCH, S("root-cert")].sort());
  });

  it("cutover: the new root signs a new intermediate; cert-chain ends with the new root", () => {
    const d = changes(runs[2], runs[3]);
    expect(d.added).toEqual(inter(I22));
    expect(d.removed).toEqual(inter(I12));
    expect(d.changed).toEqual([PATCH, S("ca-cert"), S("ca-key"), S("cert-chain")].sort());
    expect(subjects(value(runs[3], "cert-chain"))).toEqual([`O=Istio, L=${CLUSTER}, CN=Intermediate CA`, NEW]);
  });

  it("finalize changes only root-cert; steady with rootGeneration 2 deletes the old root and nothing the mesh sees", () => {
    const d = changes(runs[3], runs[4]);
    expect([d.added, d.removed, d.changed]).toEqual([[], [], [PATCH, S("root-cert")].sort()]);
    const last = changes(runs[4], runs[5]);
    expect([last.added, last.removed, last.changed]).toEqual([
      [],
      ["mesh-root", "mesh-root-cert", "mesh-root-key"],
      [],
    ]);
  });

  it("cert-chain verifies with openssl against root-cert at every step, and ca-key belongs to ca-cert", () => {
    const o = new OpensslDir();
    runs.forEach((run, i) => {
      const chain = pemsOf(value(run, "cert-chain"));
      o.write(`roots-${i}.pem`, value(run, "root-cert"));
      o.write(`inter-${i}.pem`, chain[0]);
      o.write(`chain-root-${i}.pem`, chain[1]);
      expect(chain[0]).toBe(value(run, "ca-cert"));
      expect(o.verify("-x509_strict", "-CAfile", `roots-${i}.pem`, `inter-${i}.pem`).ok).toBe(true);
      expect(o.verify("-x509_strict", "-CAfile", `chain-root-${i}.pem`, `inter-${i}.pem`).ok).toBe(true);
      expect(
        new crypto.X509Certificate(value(run, "ca-cert")).checkPrivateKey(
          crypto.createPrivateKey(value(run, "ca-key")),
        ),
      ).toBe(true);
    });
    // The dual-phase intermediate still verifies in cutover (its leaves live on), no longer after finalize.
    expect(o.verify("-CAfile", "roots-3.pem", "inter-2.pem").ok).toBe(true);
    expect(o.verify("-CAfile", "roots-4.pem", "inter-2.pem").ok).toBe(false);
  });

  it("keeps the intermediate key only in the ca-key secret (outside the tls resources), always secret", () => {
    for (const run of runs) {
      const occ = privateKeyOccurrences(run);
      expect(occ.every((x) => x.secret)).toBe(true);
      const key = value(run, "ca-key").trim();
      expect(
        occ
          .filter((x) => x.pem.trim() === key && !x.resource.type.startsWith("tls:"))
          .map((x) => `${x.resource.name} ${x.path}`),
      ).toEqual([`${S("ca-key")} properties.value`]);
      expect(occ.filter((x) => !x.resource.type.startsWith("tls:")).map((x) => x.resource.name)).toEqual([S("ca-key")]);
      expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe("azureKeyVault backend, material from a root CA stack", () => {
  let root: ProgramRun;
  let cluster: ProgramRun;
  let rootDual: ProgramRun;
  let clusterDual: ProgramRun;
  const SOURCE = { intermediateSource: { kind: "rootStack", stack: ROOT_STACK } };
  beforeAll(async () => {
    root = await runProgram(rootConfig(), { extraState: withStackReferences(undefined, undefined) });
    if (root.error) throw root.error;
    // A cluster stack reading from a root stack sets neither root nor intermediate.
    const cfg = keyVaultConfig(SOURCE, [{ name: "cluster-a" }]) as {
      ca: { material: Record<string, unknown>; cluster: Record<string, unknown> };
    };
    delete cfg.ca.material.root;
    delete cfg.ca.material.intermediate;
    cfg.ca.cluster = { ...cfg.ca.cluster, name: "cluster-a" };
    cluster = await runProgram(cfg, {
      call: azure.call,
      extraState: withStackReferences(azure.extraState, undefined, { [ROOT_STACK]: asReference(root) }),
    });
    if (cluster.error) throw cluster.error;
    rootDual = await runProgram(rootConfig({ rootPhase: "dual", newRoot: NEW_ROOT }), {
      extraState: withStackReferences(undefined, root.outputs),
    });
    clusterDual = await runProgram(cfg, {
      call: azure.call,
      extraState: withStackReferences(azure.extraState, cluster.outputs, { [ROOT_STACK]: asReference(rootDual) }),
    });
    for (const r of [rootDual, clusterDual]) if (r.error) throw r.error;
  }, 180_000);

  it("holds no key material of its own and stores the root stack's four PEMs", () => {
    expect(cluster.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    expect(value(cluster, "root-cert", "cluster-a")).toBe(root.outputs.rootCertBundle);
    expect(value(cluster, "ca-cert", "cluster-a")).toBe(root.outputs.intermediates["cluster-a"].intermediateCert);
    expect(value(cluster, "cert-chain", "cluster-a")).toBe(root.outputs.intermediates["cluster-a"].certChain);
    expect(value(cluster, "ca-key", "cluster-a")).toBe(root.outputs.intermediateKeys["cluster-a"]);
    const occ = privateKeyOccurrences(cluster);
    expect(occ.map((x) => `${x.resource.name} ${x.path} ${x.secret}`)).toEqual([
      `${secretName("cluster-a", "ca-key")} properties.value true`,
    ]);
    const o = new OpensslDir();
    o.write("roots.pem", value(cluster, "root-cert", "cluster-a"));
    o.write("inter.pem", value(cluster, "ca-cert", "cluster-a"));
    expect(o.verify("-x509_strict", "-CAfile", "roots.pem", "inter.pem").ok).toBe(true);
  });

  it("follows the root stack into dual: root-cert holds both roots, the intermediate stays", () => {
    expect(subjects(value(clusterDual, "root-cert", "cluster-a"))).toEqual([OLD, NEW]);
    expect(value(clusterDual, "ca-cert", "cluster-a")).toBe(value(cluster, "ca-cert", "cluster-a"));
    expect(clusterDual.outputs.caLifecycle).toEqual({
      rootPhase: "dual",
      rootGeneration: 1,
      intermediateGeneration: 1,
    });
  });
});

describe("azureKeyVault lifecycle config and refusals name istio-mesh-ca:ca.material", () => {
  it("accepts Pulumi.prod.yaml unchanged and rotation keys next to the generated root", () => {
    expect(configProblems(stackConfig("prod"))).toEqual([]);
    expect(configProblems(keyVaultConfig({ rotation: { rootPhase: "dual", newRoot: NEW_ROOT } }))).toEqual([]);
  });

  it("refuses root params with a root stack source, and an intermediate outliving the incoming root", () => {
    expect(configProblems(keyVaultConfig({ intermediateSource: { kind: "rootStack", stack: ROOT_STACK } }))).toEqual([
      expect.stringMatching(/^istio-mesh-ca:ca.material.root: not used with intermediateSource rootStack/),
      expect.stringMatching(/^istio-mesh-ca:ca.material.intermediate: not used with intermediateSource rootStack/),
    ]);
    expect(configProblems(keyVaultConfig({ rotation: { rootPhase: "dual", newRoot: { validityDays: 100 } } }))).toEqual(
      [
        expect.stringMatching(
          /^istio-mesh-ca:ca.material.intermediate.validityDays: intermediate.validityDays is 730, longer than rotation.newRoot.validityDays \(100\)/,
        ),
      ],
    );
  });

  it("refuses rotation settings with PEMs supplied as config (no lifecycle there)", () => {
    const cfg = stackConfig("prod") as Record<string, any>;
    const p = configProblems({
      ...cfg,
      ca: {
        ...cfg.ca,
        material: { source: "provided", rootCertPem: "x", caCertPem: "x", caKeyPem: "x", rotation: {} },
      },
    });
    expect(p.join("\n")).toMatch(/istio-mesh-ca:ca.material: unknown key\(s\) "rotation"/);
  });

  it("refuses a skipped phase at preview, naming the material key", async () => {
    const err = await refusal(
      keyVaultConfig({ rotation: { rootPhase: "cutover", newRoot: NEW_ROOT } }),
      runs[0].outputs,
      {},
      { call: azure.call },
    );
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.material.rotation: rootPhase cannot go from "steady" to "cutover": apply rootPhase "dual" first/,
    );
  });

  it("aliases the lifecycle's first root to the root this backend used to make per cluster", () => {
    const t = historicRootAlias("mesh", CLUSTER);
    const args = (type: string, name: string) => ({ type, name, props: {}, opts: {}, resource: undefined as never });
    expect(t(args("istio-mesh-ca:ca:RootCa", "mesh-root-g2"))).toBeUndefined();
    expect(t(args("tls:index/privateKey:PrivateKey", "mesh-root"))).toBeUndefined();
    const aliases = (t(args("istio-mesh-ca:ca:RootCa", "mesh-root"))!.opts.aliases ?? []) as { name: string }[];
    expect(aliases.map((a) => a.name)).toEqual([`${CLUSTER}-ca-root`]);
  });
});

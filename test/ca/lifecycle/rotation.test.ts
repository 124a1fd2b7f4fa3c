import * as crypto from "crypto";
import { ProgramRun, byName, ofType } from "../../harness/program";
import { OpensslDir } from "../../harness/openssl";
import {
  EC,
  cacerts,
  changes,
  deploy,
  fingerprint,
  issuedIntermediate,
  meshConfig,
  subjects,
  rotationSteps,
} from "./support";

/**
 * Walks one mesh stack (self-signed backend) through an intermediate rotation and a full root
 * rotation, deployment by deployment, each run seeing the previous run's outputs as its own
 * StackReference state — as `pulumi up` would.
 */

const RESTART = { restartDeployments: [{ namespace: "shop", name: "web" }] };
const NEW_ROOT = { key: EC, subject: { commonName: "Root CA 2" } };
const ISTIOD = "cluster-a-istio-istiod";
const CACERTS = "cluster-a-istio-cacerts-secret";
const PATCH = "cluster-a-restarts-shop-web";
// Each RootCa / IntermediateCa component and its tls children.
const ROOT1 = ["mesh-root", "mesh-root-cert", "mesh-root-key"];
const ROOT2 = ["mesh-root-g2", "mesh-root-g2-cert", "mesh-root-g2-key"];
const inter = (n: string) => [n, `${n}-cert`, `${n}-csr`, `${n}-key`];
const I11 = "cluster-a-ca-intermediate";
const I12 = "cluster-a-ca-intermediate-r1i2";
const I22 = "cluster-a-ca-intermediate-r2i2";

const steps = rotationSteps(NEW_ROOT);

const runs: ProgramRun[] = [];
const o = new OpensslDir();

beforeAll(async () => {
  let previous: Record<string, unknown> | undefined;
  for (const s of steps) {
    const cfg = meshConfig({ ...s.rotation, ...RESTART }, s.root ? { root: s.root } : {});
    const run = await deploy(cfg, previous);
    if (run.error) throw new Error(`${s.label}: ${run.error.message}`);
    runs.push(run);
    previous = run.outputs;
  }
}, 300_000);

const istiodPilot = (run: ProgramRun) => byName(run, ISTIOD).inputs.values.pilot;
const annotationOf = (run: ProgramRun) =>
  byName(run, PATCH).inputs.spec.template.metadata.annotations["istio-mesh-ca/ca-material"];

/** Issues a workload leaf from an intermediate and verifies it against a root bundle, as a peer would. */
function leafVerifies(intermediate: { cert: string; key: string }, bundle: string, tag: string): boolean {
  o.write(`${tag}-ca.pem`, intermediate.cert);
  o.write(`${tag}-ca.key`, intermediate.key);
  o.write(`${tag}-bundle.pem`, bundle);
  const leaf = o.leaf(`${tag}-leaf`, `${tag}-ca.pem`, `${tag}-ca.key`);
  return o.verify("-CAfile", `${tag}-bundle.pem`, "-untrusted", `${tag}-ca.pem`, leaf).ok;
}

describe("a stack's lifecycle output", () => {
  it("records each step, read back by the next deployment", () => {
    expect(
      runs.map((r) => {
        const { rootPhase, rootGeneration, intermediateGeneration } = r.outputs.caLifecycle;
        return [rootPhase, rootGeneration, intermediateGeneration];
      }),
    ).toEqual([
      ["steady", 1, 1],
      ["steady", 1, 2],
      ["dual", 1, 2],
      ["cutover", 1, 2],
      ["finalize", 1, 2],
      ["steady", 2, 2],
    ]);
    expect(runs.every((r) => !r.secretOutputPaths.includes("caLifecycle"))).toBe(true);
  });
});

describe("intermediate rotation (generation 1 → 2)", () => {
  it("issues a new key and certificate and updates cacerts; the root, the Istio charts and the root bundle stay", () => {
    const d = changes(runs[0], runs[1]);
    expect(d.added).toEqual(inter(I12));
    expect(d.removed).toEqual(inter(I11));
    expect(d.changed).toEqual([CACERTS, PATCH]);
    expect(byName(runs[1], ISTIOD).inputs).toEqual(byName(runs[0], ISTIOD).inputs);
    expect(cacerts(runs[1])["root-cert.pem"]).toEqual(cacerts(runs[0])["root-cert.pem"]);
    expect(cacerts(runs[1])["ca-cert.pem"]).not.toEqual(cacerts(runs[0])["ca-cert.pem"]);
  });

  it("gives the new intermediate a new key, which cacerts carries with the certificate it belongs to", () => {
    const [before, after] = [issuedIntermediate(runs[0], I11), issuedIntermediate(runs[1], I12)];
    expect(after.key).not.toEqual(before.key);
    expect(cacerts(runs[1])["ca-key.pem"].trim()).toEqual(after.key.trim());
    expect(new crypto.X509Certificate(after.cert).checkPrivateKey(crypto.createPrivateKey(after.key))).toBe(true);
    expect(new crypto.X509Certificate(after.cert).checkPrivateKey(crypto.createPrivateKey(before.key))).toBe(false);
  });

  it("keeps istiod's values free of lifecycle additions in the first steady state", () => {
    expect(istiodPilot(runs[0]).env ?? {}).not.toHaveProperty("ISTIO_MULTIROOT_MESH");
    expect(istiodPilot(runs[0]).podAnnotations ?? {}).toEqual({});
  });

  it("lets leaves of the old and the new intermediate verify during the overlap", () => {
    const bundle = cacerts(runs[1])["root-cert.pem"];
    expect(leafVerifies(issuedIntermediate(runs[0], I11), bundle, "i1")).toBe(true);
    expect(leafVerifies(issuedIntermediate(runs[1], I12), bundle, "i2")).toBe(true);
  });

  it("restarts the listed Deployment with an annotation derived from the new material", () => {
    const patch = byName(runs[1], PATCH);
    expect(patch.type).toBe("kubernetes:apps/v1:DeploymentPatch");
    expect(patch.inputs.metadata).toMatchObject({ name: "web", namespace: "shop" });
    expect(annotationOf(runs[1])).toMatch(/^[0-9a-f]{32}$/);
    expect(annotationOf(runs[1])).not.toEqual(annotationOf(runs[0]));
  });
});

describe("root rotation", () => {
  const roots = (i: number) => subjects(cacerts(runs[i])["root-cert.pem"]);

  it("holds old then new root in dual and cutover, only the new one from finalize on", () => {
    expect(roots(1)).toEqual(["O=Istio, CN=Root CA"]);
    expect(roots(2)).toEqual(["O=Istio, CN=Root CA", "O=Istio, CN=Root CA 2"]);
    expect(roots(3)).toEqual(["O=Istio, CN=Root CA", "O=Istio, CN=Root CA 2"]);
    expect(roots(4)).toEqual(["O=Istio, CN=Root CA 2"]);
    expect(roots(5)).toEqual(["O=Istio, CN=Root CA 2"]);
    // The same old root throughout, the same new root from dual to the end.
    const fp = (i: number, k: number) =>
      fingerprint(runs[i].outputs.clusters["cluster-a"].rootCertBundle.split(/(?<=-----END CERTIFICATE-----\n)/)[k]);
    expect(fp(2, 0)).toEqual(fp(1, 0));
    expect(fp(5, 0)).toEqual(fp(2, 1));
  });

  it("dual: adds the new root, restarts istiod once with ISTIO_MULTIROOT_MESH, keeps the intermediate", () => {
    const d = changes(runs[1], runs[2]);
    expect(d.added).toEqual(ROOT2);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([CACERTS, ISTIOD, PATCH]);
    expect(istiodPilot(runs[2]).env).toMatchObject({ ISTIO_MULTIROOT_MESH: "true" });
    expect(istiodPilot(runs[2]).podAnnotations["istio-mesh-ca/root-bundle-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(cacerts(runs[2])["ca-cert.pem"]).toEqual(cacerts(runs[1])["ca-cert.pem"]);
    expect(subjects(cacerts(runs[2])["cert-chain.pem"])).toEqual([
      "O=Istio, L=cluster-a, CN=Intermediate CA",
      "O=Istio, CN=Root CA",
    ]);
  });

  it("cutover: re-issues the intermediate under the new root; istiod and the roots are untouched", () => {
    const d = changes(runs[2], runs[3]);
    expect(d.added).toEqual(inter(I22));
    expect(d.removed).toEqual(inter(I12));
    expect(d.changed).toEqual([CACERTS, PATCH]);
    expect(byName(runs[3], `${I22}-cert`).inputs.caCertPem).toEqual(
      runs[3].outputs.clusters["cluster-a"].rootCertBundle.split(/(?<=-----END CERTIFICATE-----\n)/)[1],
    );
    expect(subjects(cacerts(runs[3])["cert-chain.pem"])).toEqual([
      "O=Istio, L=cluster-a, CN=Intermediate CA",
      "O=Istio, CN=Root CA 2",
    ]);
  });

  it("finalize: drops the old root from the bundle, restarts istiod without ISTIO_MULTIROOT_MESH, keeps the old root resource for rollback", () => {
    const d = changes(runs[3], runs[4]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([CACERTS, ISTIOD, PATCH]);
    expect(istiodPilot(runs[4]).env ?? {}).not.toHaveProperty("ISTIO_MULTIROOT_MESH");
    expect(istiodPilot(runs[4]).podAnnotations["istio-mesh-ca/root-bundle-sha256"]).not.toEqual(
      istiodPilot(runs[3]).podAnnotations["istio-mesh-ca/root-bundle-sha256"],
    );
  });

  it("steady with rootGeneration 2: deletes the old root and changes nothing the mesh sees", () => {
    const d = changes(runs[4], runs[5]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual(ROOT1);
    expect(d.changed).toEqual([]);
  });

  it("chains verify at every step for leaves of the old and new intermediates during the overlap", () => {
    const oldInter = issuedIntermediate(runs[2], I12);
    const newInter = issuedIntermediate(runs[3], I22);
    const bundle = (i: number) => cacerts(runs[i])["root-cert.pem"];
    // dual: the old intermediate signs; cutover: the new one signs while leaves of the old one live on.
    expect(leafVerifies(oldInter, bundle(2), "dual-old")).toBe(true);
    expect(leafVerifies(oldInter, bundle(3), "cutover-old")).toBe(true);
    expect(leafVerifies(newInter, bundle(3), "cutover-new")).toBe(true);
    // Proxies still holding the dual bundle accept leaves of the new intermediate.
    expect(leafVerifies(newInter, bundle(2), "dual-bundle-new")).toBe(true);
    // finalize: only the new root is trusted; old leaves must be gone by then (24h TTL or restarts).
    expect(leafVerifies(newInter, bundle(4), "final-new")).toBe(true);
    expect(leafVerifies(oldInter, bundle(4), "final-old")).toBe(false);
  });

  it("keeps every private key secret in every step", () => {
    for (const run of runs) {
      for (const r of ofType(run, "tls:index/locallySignedCert:LocallySignedCert")) {
        expect(JSON.stringify(r.rawInputs.caPrivateKeyPem)).toContain("1b47061264138c4ac30d75fd1eb44270");
      }
      expect(JSON.stringify(byName(run, CACERTS).rawInputs.stringData)).toContain("1b47061264138c4ac30d75fd1eb44270");
      expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
    }
  });
});

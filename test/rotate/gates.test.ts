import { ClusterTarget } from "../../scripts/rotate/layout";
import {
  bundleIds,
  cacertsGate,
  injectedNamespaces,
  lastWritten,
  rolloutGate,
  rootCertGate,
  workloadLeavesGate,
} from "../../scripts/rotate/gates";
import { TestCas, makeCas } from "./certs";

const target: ClusterTarget = {
  stack: "cluster-b",
  cluster: "cluster-b",
  kube: {},
  istioNamespace: "istio-system",
  skipAwait: false,
  restartDeployments: [],
};
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secret = (roots: string, inter: string, time = "2026-01-01T00:00:00Z") => ({
  data: { "root-cert.pem": b64(roots), "ca-cert.pem": b64(inter) },
  metadata: {
    managedFields: [
      { manager: "pulumi-kubernetes-1", time: "2025-12-01T00:00:00Z" },
      { manager: "pulumi-kubernetes-1", time },
    ],
  },
});

describe("gates", () => {
  let c: TestCas;
  beforeAll(() => {
    c = makeCas();
  });

  it("cacerts: holds with exactly the expected roots and intermediate; names what is missing and what is left, by fingerprint", () => {
    const expected = { roots: bundleIds(c.root1 + c.root2), intermediate: bundleIds(c.inter1)[0] };
    expect(cacertsGate(target, secret(c.root1 + c.root2, c.inter1), expected)).toMatchObject({
      holds: true,
      cluster: "cluster-b",
    });
    const r = cacertsGate(target, secret(c.root1, c.inter2), expected);
    expect(r.holds).toBe(false);
    expect(r.detail).toContain("cluster cluster-b: Secret istio-system/cacerts");
    expect(r.detail).toContain(
      `root-cert.pem lacks "O=Istio, CN=Root CA 2" (SHA-256 ${expected.roots[1].fingerprint})`,
    );
    expect(r.detail).toContain(
      `ca-cert.pem holds "O=Istio, L=cluster-a, CN=Intermediate CA" (SHA-256 ${bundleIds(c.inter2)[0].fingerprint})`,
    );
    const after = cacertsGate(target, secret(c.root1 + c.root2, c.inter1), { roots: bundleIds(c.root2) });
    expect(after.detail).toContain('root-cert.pem still holds "O=Istio, CN=Root CA"');
    expect(cacertsGate(target, undefined, expected)).toMatchObject({
      holds: false,
      detail: "cluster cluster-b: Secret istio-system/cacerts does not exist",
    });
  });

  it("istiod rollout: the Deployment status as kubectl rollout status reads it; istio.skipAwait is said, not pretended", () => {
    const dep = (status: object, generation = 3) => ({ metadata: { generation }, spec: { replicas: 2 }, status });
    expect(
      rolloutGate(target, dep({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).holds,
    ).toBe(true);
    const r = rolloutGate(
      target,
      dep({ observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }),
    );
    expect(r.holds).toBe(false);
    expect(r.detail).toBe(
      "cluster cluster-b: Deployment istio-system/istiod has not rolled out: observedGeneration 2 < generation 3 (the controller has not seen the new template), 1/2 replicas updated, 2 old replica(s) still running",
    );
    const skip = rolloutGate({ ...target, skipAwait: true, revision: "1-29" }, undefined);
    expect(skip).toMatchObject({ holds: true, notChecked: "istio.skipAwait" });
    expect(skip.detail).toMatch(/istiod-1-29 rollout not checked: stack cluster-b sets istio.skipAwait/);
  });

  it("istio-ca-root-cert: every injection-enabled namespace (by revision when set) and istiod's own hold exactly the roots", () => {
    const nss = [
      { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } },
      { metadata: { name: "canary", labels: { "istio.io/rev": "1-29" } } },
      { metadata: { name: "plain", labels: {} } },
    ];
    expect(injectedNamespaces(target, nss)).toEqual(["shop"]);
    expect(injectedNamespaces({ ...target, revision: "1-29" }, nss)).toEqual(["canary"]);
    const roots = bundleIds(c.root1 + c.root2);
    const cm = (pem: string) => ({ data: { "root-cert.pem": pem } });
    expect(
      rootCertGate(
        target,
        ["istio-system", "shop"],
        { "istio-system": cm(c.root2 + c.root1), shop: cm(c.root1 + c.root2) },
        roots,
      ).holds,
    ).toBe(true);
    const r = rootCertGate(target, ["istio-system", "shop"], { "istio-system": cm(c.root1), shop: undefined }, roots);
    expect(r.holds).toBe(false);
    expect(r.detail).toMatch(
      /^cluster cluster-b: istio-ca-root-cert .*istio-system: lacks "O=Istio, CN=Root CA 2".*; shop: no ConfigMap istio-ca-root-cert$/,
    );
  });

  it("workload leaves before finalize: TTL since the cutover reached cacerts, or every injected pod newer; names old pods and when it will hold", () => {
    const cutoverAt = lastWritten(secret(c.root1, c.inter1, "2026-01-01T00:00:00Z"))!;
    expect(cutoverAt.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const pod = (name: string, created: string) => ({
      metadata: { namespace: "shop", name, creationTimestamp: created },
    });
    const base = { cutoverAt, ttlMs: 24 * 3600e3, namespaces: ["shop"] };
    expect(
      workloadLeavesGate(target, {
        ...base,
        now: new Date("2026-01-02T00:00:01Z"),
        pods: [pod("old", "2025-12-30T00:00:00Z")],
      }).holds,
    ).toBe(true);
    expect(
      workloadLeavesGate(target, {
        ...base,
        now: new Date("2026-01-01T01:00:00Z"),
        pods: [pod("new", "2026-01-01T00:30:00Z")],
      }).holds,
    ).toBe(true);
    const r = workloadLeavesGate(
      { ...target, restartDeployments: [{ namespace: "shop", name: "web" }] },
      {
        ...base,
        now: new Date("2026-01-01T01:00:00Z"),
        pods: [pod("new", "2026-01-01T00:30:00Z"), pod("web-1", "2025-12-31T00:00:00Z")],
      },
    );
    expect(r.holds).toBe(false);
    expect(r.detail).toBe(
      "cluster cluster-b: 1 pod(s) started before the cutover written to cacerts at 2026-01-01T00:00:00.000Z may still hold a leaf under the old root: shop/web-1; restart them (restartDeployments restarts shop/web on each material change) or wait until 2026-01-02T00:00:00.000Z (TTL 24h)",
    );
    expect(workloadLeavesGate(target, { ...base, cutoverAt: undefined, now: new Date(), pods: [] }).holds).toBe(false);
  });
});

import { injectionLabels } from "../../components/istio/values";
import { serviceAccountProblems } from "../../config/backends/vault";
import { caSecretReads, kubernetesCsrTaskConfig } from "../ca/certManager/fixtures";
import { configProblems } from "../harness/configProblems";
import { ProgramRun, byName, ofType, runProgram, stackConfig } from "../harness/program";
import { fakeVault } from "../vault/fakeVault";
import {
  K8sObject,
  Selector,
  find,
  gatewayChartDir,
  istiodChartDir,
  parseManifests,
  renderChart,
  selects,
} from "../istio/istiodChart";

/**
 * istio.revision: the istiod chart then names its Deployment and service account `istiod-<rev>` and
 * injects only namespaces labelled `istio.io/rev=<rev>`; the gateway needs the revision too.
 * Everything we derive (namespace labels, the Vault role's service account, the gateway's values,
 * istio-csr's revisions) must follow, or the combination is refused.
 */

const REV = "canary";

/** Whether any webhook of the chart's injector configs would inject a plain pod in a namespace with these labels. */
function injects(
  objects: K8sObject[],
  nsLabels: Record<string, string>,
  podLabels: Record<string, string> = {},
): boolean {
  return objects
    .filter((o) => o.kind === "MutatingWebhookConfiguration")
    .some((mwc) =>
      (mwc.webhooks as { namespaceSelector?: Selector; objectSelector?: Selector }[]).some(
        (w) => selects(w.namespaceSelector, nsLabels) && selects(w.objectSelector, podLabels),
      ),
    );
}

describe("istio.revision with the dev stack (charts installed here)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const cfg = stackConfig("dev");
    run = await runProgram(
      { ...cfg, istio: { ...(cfg.istio as object), revision: REV, gateway: { enabled: true } } },
      { stack: "dev" },
    );
  }, 180_000);

  it("labels injected namespaces istio.io/rev=<rev>, never istio-injection", () => {
    expect(run.error).toBeUndefined();
    for (const ns of ["istio-demo", "test"]) {
      expect(byName(run, `cluster1-ns-${ns}`).inputs.metadata.labels).toEqual({ "istio.io/rev": REV });
    }
    expect(byName(run, "cluster1-istio-gateway-namespace").inputs.metadata.labels).toEqual({ "istio.io/rev": REV });
  });

  it("installs istiod and the gateway as that revision", () => {
    expect(byName(run, "cluster1-istio-istiod").inputs.values.revision).toBe(REV);
    expect(byName(run, "cluster1-istio-gateway").inputs.values).toMatchObject({
      revision: REV,
      service: { type: "LoadBalancer" },
    });
  });

  it("keeps istio-injection=enabled without a revision", () => {
    expect(injectionLabels(undefined)).toEqual({ "istio-injection": "enabled" });
  });
});

describe("istio.revision against Istio's real charts", () => {
  let istiod: K8sObject[];
  let defaultIstiod: K8sObject[];
  beforeAll(() => {
    istiod = parseManifests(
      renderChart(istiodChartDir(), "istiod", "istio-system", {
        revision: REV,
        global: { istioNamespace: "istio-system" },
      }),
    );
    defaultIstiod = parseManifests(
      renderChart(istiodChartDir(), "istiod", "istio-system", { global: { istioNamespace: "istio-system" } }),
    );
  }, 600_000);

  it("names istiod's Deployment and service account istiod-<rev> (what the RBAC binding and the Vault role use)", () => {
    expect(find(istiod, "ServiceAccount", `istiod-${REV}`).metadata.namespace).toBe("istio-system");
    expect(find(istiod, "Deployment", `istiod-${REV}`).spec.template.spec.serviceAccountName).toBe(`istiod-${REV}`);
    expect(find(defaultIstiod, "ServiceAccount", "istiod")).toBeDefined();
  });

  it("injects namespaces with our labels for the revision, and not istio-injection=enabled", () => {
    expect(injects(istiod, injectionLabels(REV))).toBe(true);
    expect(injects(istiod, { "istio-injection": "enabled" })).toBe(false);
    expect(injects(defaultIstiod, injectionLabels(undefined))).toBe(true);
  });

  it("injects the gateway's pods, labelled by the gateway chart from its revision value", () => {
    const gw = parseManifests(
      renderChart(gatewayChartDir(), "istio-ingressgateway", "istio-ingress", { revision: REV }),
    );
    const podLabels = find(gw, "Deployment", "istio-ingressgateway").spec.template.metadata.labels as Record<
      string,
      string
    >;
    expect(podLabels["istio.io/rev"]).toBe(REV);
    expect(injects(istiod, injectionLabels(REV), podLabels)).toBe(true);
  });
});

describe("istio.revision: refused combinations", () => {
  const dev = stackConfig("dev");
  const withRev = (extra: Record<string, unknown>) => ({
    ...dev,
    istio: { ...(dev.istio as object), revision: REV },
    sidecarIngressTls: [],
    ...extra,
  });

  it("refuses an istio-injection label, or another istio.io/rev, on an injected namespace", () => {
    expect(
      configProblems(
        withRev({
          namespaces: [
            { name: "a", labels: { "istio-injection": "enabled" } },
            { name: "b", labels: { "istio.io/rev": "stable" } },
          ],
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^istio-mesh-ca:namespaces\[0\]\.labels\.istio-injection: with istio\.revision "canary" the injection webhook skips namespaces labelled istio-injection/,
      ),
      expect.stringMatching(
        /^istio-mesh-ca:namespaces\[1\]\.labels\.istio\.io\/rev: injection: true labels the namespace istio\.io\/rev=canary .*\(got "stable"\)/,
      ),
    ]);
    expect(
      configProblems(withRev({ namespaces: [{ name: "b", injection: false, labels: { "istio.io/rev": "stable" } }] })),
    ).toEqual([]);
  });

  it("refuses a Vault role bound to a service account the chart does not create", () => {
    expect(
      serviceAccountProblems({ kubernetesAuth: { serviceAccount: "istiod" } } as never, {
        install: "helm",
        revision: REV,
      }),
    ).toEqual([
      expect.objectContaining({
        path: ["ca", "kubernetesAuth", "serviceAccount"],
        input: "istiod",
        message: expect.stringMatching(/names istiod's service account "istiod-canary"/),
      }),
    ]);
    expect(serviceAccountProblems({ kubernetesAuth: {} } as never, { install: "helm", revision: REV })).toEqual([]);
    expect(
      serviceAccountProblems({ kubernetesAuth: { serviceAccount: "istiod" } } as never, { install: "helm" }),
    ).toEqual([]);
    // Without a revision an explicit name stays the user's call (older Istio: istiod-service-account).
    expect(
      serviceAccountProblems({ kubernetesAuth: { serviceAccount: "istiod-service-account" } } as never, {
        install: "helm",
      }),
    ).toEqual([]);
    expect(
      serviceAccountProblems({ kubernetesAuth: { serviceAccount: "custom" } } as never, {
        install: "external",
        revision: REV,
      }),
    ).toEqual([]);
  });

  it("refuses istio-csr revisions that leave the installed revision without a serving certificate", () => {
    const cfg = {
      ...kubernetesCsrTaskConfig({ mode: "istioCsr", namespaceSigners: {}, istioCsr: { revisions: ["default"] } }),
      istio: { revision: REV },
    };
    expect(configProblems(cfg)).toEqual([
      expect.stringMatching(
        /^istio-mesh-ca:ca\.istioCsr\.revisions: istiod is installed as revision "canary" .*include "canary"/,
      ),
    ]);
  });
});

describe("istio.revision: what backends derive", () => {
  it("binds the Vault role to istiod-<rev> when serviceAccount is left unset", async () => {
    const cfg = stackConfig("staging");
    const ca = JSON.parse(JSON.stringify(cfg.ca));
    delete ca.kubernetesAuth.serviceAccount;
    const fv = fakeVault();
    const run = await runProgram(
      { ...cfg, ca, istio: { ...(cfg.istio as object), revision: REV } },
      { stack: "staging", extraState: fv.extraState },
    );
    expect(run.error).toBeUndefined();
    expect(byName(run, "staging-ca-k8s-auth-role").inputs.boundServiceAccountNames).toEqual([`istiod-${REV}`]);
    expect(ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")[0].inputs.subjects).toEqual([
      { kind: "ServiceAccount", name: `istiod-${REV}`, namespace: "istio-system" },
    ]);
  }, 180_000);

  it("gives istio-csr the installed revision by default", async () => {
    const reads = caSecretReads();
    const run = await runProgram(
      { ...kubernetesCsrTaskConfig({ mode: "istioCsr", namespaceSigners: {} }), istio: { revision: REV } },
      { stack: "certmanager", extraState: reads.extraState },
    );
    expect(run.error).toBeUndefined();
    expect(byName(run, "cluster1-ca-istio-csr").inputs.values.app.istio.revisions).toEqual([REV]);
  }, 180_000);
});

import * as fs from "fs";
import * as path from "path";
import { CHART_WRITTEN_ENV, PostRenderer, deploymentEnvPostRenderer } from "../../components/istio/deploymentEnv";
import { caSecretReads } from "../ca/certManager/fixtures";
import { ProgramRun, byName, runProgram, stackConfig } from "../harness/program";
import {
  K8sObject,
  containerEnv,
  duplicateEnvNames,
  find,
  istiodChartDir,
  parseManifests,
  postRender,
  renderChart,
} from "./istiodChart";

/**
 * Istio's real istiod chart (the pinned Istio source module) against the values this program
 * computes: what the chart writes itself, and what Kubernetes would receive.
 */

describe("istiod chart template (Istio module): env entries the chart writes itself", () => {
  const template = () => fs.readFileSync(path.join(istiodChartDir(), "templates/deployment.yaml"), "utf8");

  it("writes exactly CHART_WRITTEN_ENV (plus two it skips when pilot.env sets them), then every pilot.env entry", () => {
    const names = [...template().matchAll(/^\s*- name: ([A-Z][A-Z0-9_]+)\s*$/gm)].map((m) => m[1]);
    expect([...new Set(names)].sort()).toEqual(
      [...CHART_WRITTEN_ENV, "CA_TRUSTED_NODE_ACCOUNTS", "EXTERNAL_ISTIOD"].sort(),
    );
    expect(template()).toContain("{{- if not .Values.env.CA_TRUSTED_NODE_ACCOUNTS }}");
    expect(template()).toContain("(not (and .Values.env .Values.env.EXTERNAL_ISTIOD))");
    // pilot.env is appended without checking the names above: a duplicate is the chart's outcome.
    expect(template()).toMatch(/range \$key, \$val := \.Values\.env \}\}\n\s*- name: \{\{ \$key \}\}/);
  });

  it("takes PILOT_CERT_PROVIDER from global.pilotCertProvider, which the injection template also reads", () => {
    expect(template()).toMatch(/- name: PILOT_CERT_PROVIDER\n\s*value: \{\{ \.Values\.global\.pilotCertProvider \}\}/);
    const injection = fs.readFileSync(path.join(istiodChartDir(), "files/injection-template.yaml"), "utf8");
    // Changing global.pilotCertProvider would drop the proxies' istiod-ca-cert mount.
    expect(injection).toMatch(
      /if eq \.Values\.global\.pilotCertProvider "istiod" \}\}\n\s*- mountPath: \/var\/run\/secrets\/istio\n\s*name: istiod-ca-cert/,
    );
  });

  it("grants approve on signers with resourceNames from global.certSigners whenever EXTERNAL_CA is set", () => {
    const role = fs.readFileSync(path.join(istiodChartDir(), "templates/clusterrole.yaml"), "utf8");
    expect(role).toContain("{{- if or .Values.env.EXTERNAL_CA");
    expect(role).toMatch(/resourceNames:\n\{\{- range \.Values\.global\.certSigners \}\}/);
  });
});

describe("istiod chart rendered with the certmanager stack's values (kubernetesCsr mode)", () => {
  let run: ProgramRun;
  let objects: K8sObject[];
  const reads = caSecretReads();
  const SIGNERS = ["istio-system", "foo", "bar"].map((s) => `clusterissuers.cert-manager.io/${s}`);
  beforeAll(async () => {
    run = await runProgram(stackConfig("certmanager"), { stack: "certmanager", extraState: reads.extraState });
    const chart = byName(run, "cluster1-istio-istiod").inputs;
    // The Chart's own postRenderer input, run by Helm (as helm.v4.Chart does).
    objects = parseManifests(
      renderChart(istiodChartDir(), chart.name, chart.namespace, chart.values, chart.postRenderer),
    );
  }, 600_000);

  it("renders a Deployment without duplicate env names, PILOT_CERT_PROVIDER once, from the signer", () => {
    expect(run.error).toBeUndefined();
    const deployment = find(objects, "Deployment", "istiod");
    expect(duplicateEnvNames(deployment)).toEqual([]);
    const env = containerEnv(deployment, "discovery");
    expect(env.filter((e) => e.name === "PILOT_CERT_PROVIDER")).toEqual([
      { name: "PILOT_CERT_PROVIDER", value: "k8s.io/clusterissuers.cert-manager.io/istio-system" },
    ]);
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "EXTERNAL_CA", value: "ISTIOD_RA_KUBERNETES_API" },
        { name: "CERT_SIGNER_DOMAIN", value: "clusterissuers.cert-manager.io" },
      ]),
    );
  });

  it("keeps global.pilotCertProvider at istiod for the injection template (proxies still mount istiod-ca-cert)", () => {
    const values = JSON.parse(find(objects, "ConfigMap", "istio-sidecar-injector").data.values);
    expect(values.global.pilotCertProvider).toBe("istiod");
  });

  it("lets istiod approve for exactly our signers in the chart's own ClusterRole", () => {
    const role = find(objects, "ClusterRole", "istiod-clusterrole-istio-system");
    const approve = role.rules.filter((r: { verbs: string[] }) => r.verbs.includes("approve"));
    expect(approve).toEqual([
      { apiGroups: ["certificates.k8s.io"], resources: ["signers"], resourceNames: SIGNERS, verbs: ["approve"] },
    ]);
  });

  it("would have caught the old values: PILOT_CERT_PROVIDER in pilot.env renders twice", () => {
    const chart = byName(run, "cluster1-istio-istiod").inputs;
    const old = {
      ...chart.values,
      pilot: {
        ...chart.values.pilot,
        env: { ...chart.values.pilot.env, PILOT_CERT_PROVIDER: "k8s.io/clusterissuers.cert-manager.io/istio-system" },
      },
    };
    const deployment = find(
      parseManifests(renderChart(istiodChartDir(), "istiod", "istio-system", old)),
      "Deployment",
      "istiod",
    );
    expect(duplicateEnvNames(deployment)).toEqual(["PILOT_CERT_PROVIDER"]);
  });

  it("post-renderer fails closed when the entry it replaces is not rendered exactly once", () => {
    // Run by Helm: a failing post-renderer fails the render (and so the preview).
    const render = (pr: PostRenderer) => renderChart(istiodChartDir(), "istiod", "istio-system", {}, pr);
    expect(() => render(deploymentEnvPostRenderer("istiod", { NOT_WRITTEN_BY_CHART: "x" }))).toThrow(
      /expected one env entry NOT_WRITTEN_BY_CHART/,
    );
    expect(() => render(deploymentEnvPostRenderer("istiod-canary", { PILOT_CERT_PROVIDER: "x" }))).toThrow(
      /expected one Deployment istiod-canary/,
    );
    // The same script, outside Helm, on the rendered text.
    expect(() =>
      postRender(
        renderChart(istiodChartDir(), "istiod", "istio-system", {}),
        deploymentEnvPostRenderer("istiod", { NOT_WRITTEN_BY_CHART: "x" }),
      ),
    ).toThrow(/expected one env entry NOT_WRITTEN_BY_CHART/);
  });
});

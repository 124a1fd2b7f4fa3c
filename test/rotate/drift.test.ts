import { commandStages } from "../../scripts/rotate/model";
import { PreviewDigest, PreviewStep, belongsToStage, driftOf } from "../../scripts/rotate/previewModel";

/** Steps shaped as `pulumi preview --json` (Pulumi v3.259.0) writes them for this program's stacks. */
const P = "urn:pulumi:cluster-a::istio-mesh-ca::";
const R = "urn:pulumi:root::istio-mesh-ca::";
const k8s = (op: string, type: string, name: string, k8sName: string): PreviewStep => ({
  op,
  urn: `${P}istio-mesh-ca:stacks:MeshCluster$${type}::${name}`,
  newState: { urn: "", type, inputs: { metadata: { name: k8sName, namespace: "istio-system" } } },
});
const tls = (op: string, type: string, name: string): PreviewStep => ({
  op,
  urn: `${R}istio-mesh-ca:ca:RootCa$${type}::${name}`,
  newState: { urn: "", type },
});
const quiet: PreviewStep[] = [
  { op: "same", urn: `${P}pulumi:pulumi:Stack::istio-mesh-ca-cluster-a` },
  { op: "read", urn: `${P}pulumi:pulumi:StackReference::mesh-root-stack` },
];
const cacerts = k8s("update", "kubernetes:core/v1:Secret", "cluster-a-istio-cacerts-secret", "cacerts");
const istiod = k8s("update", "kubernetes:apps/v1:Deployment", "cluster-a-istio-istiod:istio-system/istiod", "istiod");
const values = k8s("replace", "kubernetes:core/v1:ConfigMap", "cluster-a-istio-istiod:istio-system/values", "values");
const injector = k8s(
  "replace",
  "kubernetes:core/v1:ConfigMap",
  "cluster-a-istio-istiod:istio-system/istio-sidecar-injector",
  "istio-sidecar-injector",
);
const [dual, cutover] = commandStages("start", "root", {
  rootPhase: "steady",
  rootGeneration: 1,
  intermediateGeneration: 1,
});
const [finalize, steady] = commandStages("complete", "root", cutover.to);
const [intermediate] = commandStages("start", "intermediate", {
  rootPhase: "steady",
  rootGeneration: 1,
  intermediateGeneration: 1,
});
const digest = (...steps: PreviewStep[]): PreviewDigest => ({ steps: [...quiet, ...steps] });

describe("drift: changes a rotation step does not explain", () => {
  it("a cluster stack in dual: cacerts, istiod and its chart's values ConfigMaps belong; nothing else", () => {
    expect(driftOf(digest(cacerts, istiod, values, injector), dual)).toEqual([]);
    const pa = k8s("update", "kubernetes:security.istio.io/v1:PeerAuthentication", "cluster-a-mtls-mesh", "default");
    expect(driftOf(digest(cacerts, istiod, pa), dual).map((s) => s.urn)).toEqual([pa.urn]);
  });

  it("istiod must not change where the step does not roll it (intermediate, cutover, steady)", () => {
    for (const st of [intermediate, cutover])
      expect(driftOf(digest(cacerts, istiod), st).map((s) => s.urn)).toEqual([istiod.urn]);
    expect(driftOf(digest(cacerts), steady).map((s) => s.urn)).toEqual([cacerts.urn]);
    expect(driftOf(digest(cacerts, istiod, values, injector), finalize)).toEqual([]);
  });

  it("CA resources of the root stack: new root only in dual, the old one deleted only in steady, intermediates in intermediate and cutover", () => {
    const newRoot = [
      tls("create", "istio-mesh-ca:ca:RootCa", "mesh-root-g2"),
      tls("create", "tls:index/privateKey:PrivateKey", "mesh-root-g2-key"),
      tls("create", "tls:index/selfSignedCert:SelfSignedCert", "mesh-root-g2-cert"),
    ];
    expect(driftOf(digest(...newRoot), dual)).toEqual([]);
    expect(driftOf(digest(...newRoot), cutover)).toHaveLength(3);
    const oldRoot = tls("delete", "tls:index/selfSignedCert:SelfSignedCert", "mesh-root-cert");
    expect(belongsToStage(oldRoot, steady)).toBe(true);
    expect(belongsToStage(oldRoot, finalize)).toBe(false);
    const inter = [
      tls("create", "tls:index/locallySignedCert:LocallySignedCert", "cluster-a-intermediate-r2i1-cert"),
      tls("delete", "tls:index/privateKey:PrivateKey", "cluster-a-intermediate-key"),
    ];
    for (const st of [intermediate, cutover]) expect(driftOf(digest(...inter), st)).toEqual([]);
    expect(driftOf(digest(...inter), dual)).toHaveLength(2);
    // A root replaced in place is never a rotation step.
    expect(belongsToStage(tls("replace", "tls:index/selfSignedCert:SelfSignedCert", "mesh-root-cert"), steady)).toBe(
      false,
    );
  });

  it("at rest (no step), any change is drift; reads and the stack itself are not changes", () => {
    expect(driftOf(digest(), undefined)).toEqual([]);
    expect(driftOf(digest(cacerts), undefined).map((s) => s.urn)).toEqual([cacerts.urn]);
  });
});

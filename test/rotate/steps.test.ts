import { parse } from "yaml";
import { commandStages } from "../../scripts/rotate/model";
import { stackFileWith } from "../../scripts/rotate/engine";
import {
  configPosition,
  followerExpectations,
  ownerConfigChanges,
  ownerExpectations,
} from "../../scripts/rotate/steps";

const KEY = "istio-mesh-ca:rootCa";
const newRoot = {
  key: { algorithm: "RSA", rsaBits: 4096 },
  validityDays: 3650,
  subject: { organization: "Istio", commonName: "Root CA 2" },
};

describe("config changes of the owner per step", () => {
  it("sets only what differs; completing the rotation moves rotation.newRoot to root (docs/rotation.md step 4)", () => {
    const [dual, cutover] = commandStages("start", "root", {
      rootPhase: "steady",
      rootGeneration: 1,
      intermediateGeneration: 2,
    });
    const cfg = {
      root: { validityDays: 3650 },
      rotation: { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 2, newRoot },
    };
    expect(ownerConfigChanges(dual, KEY, cfg)).toEqual([
      { op: "set", key: `${KEY}.rotation.rootPhase`, value: "dual" },
    ]);
    expect(ownerConfigChanges(cutover, KEY, { ...cfg, rotation: { ...cfg.rotation, rootPhase: "dual" } })).toEqual([
      { op: "set", key: `${KEY}.rotation.rootPhase`, value: "cutover" },
    ]);
    const [, steady] = commandStages("complete", "root", cutover.to);
    expect(ownerConfigChanges(steady, KEY, { ...cfg, rotation: { ...cfg.rotation, rootPhase: "finalize" } })).toEqual([
      { op: "set", key: `${KEY}.rotation.rootPhase`, value: "steady" },
      { op: "set", key: `${KEY}.rotation.rootGeneration`, value: 2 },
      { op: "remove", key: `${KEY}.root` },
      { op: "set", key: `${KEY}.root.key.algorithm`, value: "RSA" },
      { op: "set", key: `${KEY}.root.key.rsaBits`, value: 4096 },
      { op: "set", key: `${KEY}.root.validityDays`, value: 3650 },
      { op: "set", key: `${KEY}.root.subject.organization`, value: "Istio" },
      { op: "set", key: `${KEY}.root.subject.commonName`, value: "Root CA 2" },
      { op: "remove", key: `${KEY}.rotation.newRoot` },
    ]);
  });

  it("an absent rotation block means steady at generation 1 (the program's defaults)", () => {
    expect(configPosition(undefined)).toEqual({ rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 });
    const [s] = commandStages("start", "intermediate", configPosition({}));
    expect(ownerConfigChanges(s, "istio-mesh-ca:ca", {})).toEqual([
      { op: "set", key: "istio-mesh-ca:ca.rotation.intermediateGeneration", value: 2 },
    ]);
  });

  it("a stack file with the changes applied keeps everything else, encrypted values included", () => {
    const text = `encryptionsalt: v1:abc\nconfig:\n  istio-mesh-ca:rootCa:\n    root: { validityDays: 3650 }\n    rotation: { rootPhase: finalize, newRoot: { validityDays: 10 } }\n  other:token:\n    secure: v1:xyz\n`;
    const out = parse(
      stackFileWith(text, [
        { op: "set", key: `${KEY}.rotation.rootPhase`, value: "steady" },
        { op: "remove", key: `${KEY}.root` },
        { op: "set", key: `${KEY}.root.validityDays`, value: 10 },
        { op: "remove", key: `${KEY}.rotation.newRoot` },
      ]),
    );
    expect(out).toEqual({
      encryptionsalt: "v1:abc",
      config: {
        [KEY]: { root: { validityDays: 10 }, rotation: { rootPhase: "steady" } },
        "other:token": { secure: "v1:xyz" },
      },
    });
  });
});

describe("what a step is expected to change (plan)", () => {
  const resources = [
    {
      urn: "urn:pulumi:a::p::istio-mesh-ca:stacks:MeshCluster$kubernetes:core/v1:Secret::a-istio-cacerts-secret",
      type: "kubernetes:core/v1:Secret",
      id: "istio-system/cacerts",
    },
    {
      urn: "urn:pulumi:a::p::kubernetes:apps/v1:Deployment::istiod",
      type: "kubernetes:apps/v1:Deployment",
      id: "istio-system/istiod",
    },
    {
      urn: "urn:pulumi:a::p::kubernetes:apps/v1:Deployment::other",
      type: "kubernetes:apps/v1:Deployment",
      id: "shop/web",
    },
    {
      urn: "urn:pulumi:a::p::kubernetes:apps/v1:DeploymentPatch::a-restarts-shop-web",
      type: "kubernetes:apps/v1:DeploymentPatch",
      id: "shop/web",
    },
    { urn: "urn:pulumi:r::p::istio-mesh-ca:ca:RootCa::mesh-root", type: "istio-mesh-ca:ca:RootCa" },
    {
      urn: "urn:pulumi:r::p::istio-mesh-ca:stacks:ClusterIntermediate$istio-mesh-ca:ca:IntermediateCa::a-intermediate-r1i2",
      type: "istio-mesh-ca:ca:IntermediateCa",
    },
  ];
  const [dual, cutover] = commandStages("start", "root", {
    rootPhase: "steady",
    rootGeneration: 1,
    intermediateGeneration: 2,
  });
  it("followers: cacerts and restarts when the material changes, istiod only when its template does; exact URNs from the state", () => {
    expect(followerExpectations(dual, resources).map((e) => [e.op, e.urn!.split("::").pop()])).toEqual([
      ["update", "a-istio-cacerts-secret"],
      ["update", "a-restarts-shop-web"],
      ["update", "istiod"],
    ]);
    expect(followerExpectations(cutover, resources).map((e) => e.urn!.split("::").pop())).toEqual([
      "a-istio-cacerts-secret",
      "a-restarts-shop-web",
    ]);
  });
  it("owner: the names the lifecycle gives new roots and intermediates", () => {
    expect(ownerExpectations(dual, resources)).toEqual([
      { op: "create", what: "mesh-root-g2 (key, self-signed certificate)" },
    ]);
    expect(ownerExpectations(cutover, resources)).toEqual([
      { op: "create", what: "a-intermediate-r2i2 (key, CSR, certificate)" },
      { op: "delete", what: "a-intermediate-r1i2 (key, CSR, certificate)" },
    ]);
  });
});

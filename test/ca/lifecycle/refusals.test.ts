import { stackConfig } from "../../harness/program";
import { EC, ROOT_STACK, asReference, deploy, meshConfig, refusal, rootConfig } from "./support";

/**
 * Refusals that can only be decided once the previous deployment's outputs (or a root stack's) are
 * read: they are thrown inside applies, which fails `pulumi preview` before anything changes.
 */

const preview = { preview: true };

describe("root phase transitions, read back from the stack's own outputs", () => {
  it("refuses steady → finalize in preview, naming the phase to apply first", async () => {
    const steady = await deploy(meshConfig(), undefined);
    expect(steady.error).toBeUndefined();
    const err = await refusal(meshConfig({ rootPhase: "finalize" }), steady.outputs, {}, preview);
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.rotation: rootPhase cannot go from "steady" to "finalize": apply rootPhase "dual" first/,
    );
  });

  it("refuses changing the root in place", async () => {
    const steady = await deploy(meshConfig(), undefined);
    const err = await refusal(meshConfig({}, { root: { key: EC, validityDays: 1000 } }), steady.outputs, {}, preview);
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.rotation: changing the root parameters \(root\) would replace the root in service/,
    );
  });

  it("refuses lowering the intermediate generation", async () => {
    const bumped = await deploy(meshConfig({ intermediateGeneration: 3 }), undefined);
    const err = await refusal(meshConfig({ intermediateGeneration: 2 }), bumped.outputs, {}, preview);
    expect(err?.message).toMatch(/intermediateGeneration 2 is lower than the deployed 3/);
  });

  it("refuses a skip in the root stack too, naming its config key", async () => {
    const root = await deploy(rootConfig(), undefined);
    const err = await refusal(rootConfig({ rootPhase: "cutover" }), root.outputs, {}, preview);
    expect(err?.message).toMatch(
      /istio-mesh-ca:rootCa.rotation: rootPhase cannot go from "steady" to "cutover": apply rootPhase "dual" first/,
    );
  });
});

describe("cluster stacks reading a root stack", () => {
  it("refuse to follow a root stack that moved two phases since their last deployment", async () => {
    const root = await deploy(rootConfig(), undefined);
    const cluster = await deploy(stackConfig("cluster-a"), undefined, { [ROOT_STACK]: asReference(root) });
    expect(cluster.error).toBeUndefined();
    const dual = await deploy(rootConfig({ rootPhase: "dual" }), root.outputs);
    const cutover = await deploy(rootConfig({ rootPhase: "cutover" }), dual.outputs);
    const err = await refusal(
      stackConfig("cluster-a"),
      cluster.outputs,
      { [ROOT_STACK]: asReference(cutover) },
      preview,
    );
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.intermediateSource: root stack organization\/istio-mesh-ca\/root is at cutover .* apply rootPhase "dual" first/,
    );
  });

  it("refuse an intermediate that does not chain to the exported roots", async () => {
    const root = await deploy(rootConfig(), undefined);
    const other = await deploy(
      { rootCa: { ...(rootConfig() as any).rootCa, root: { key: EC, subject: { commonName: "Some Other Root" } } } },
      undefined,
    );
    const forged = {
      ...root.outputs,
      intermediates: { ...root.outputs.intermediates, "cluster-a": other.outputs.intermediates["cluster-a"] },
    };
    const err = await refusal(
      stackConfig("cluster-a"),
      undefined,
      { [ROOT_STACK]: { outputs: forged, secretOutputNames: ["intermediateKeys"] } },
      preview,
    );
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.intermediateSource \(intermediate of cluster cluster-a\): "O=Istio, L=cluster-a, CN=Intermediate CA" is not signed by any trusted root \("O=Istio, CN=Root CA"\)/,
    );
  });

  it("refuse a cluster the root stack has no intermediate for, saying where to add it", async () => {
    const root = await deploy(rootConfig(), undefined);
    const cfg = { ...stackConfig("cluster-a"), clusters: [{ name: "cluster-c" }] };
    const err = await refusal(cfg, undefined, { [ROOT_STACK]: asReference(root) }, preview);
    expect(err?.message).toMatch(
      /root stack organization\/istio-mesh-ca\/root has no intermediate for cluster "cluster-c"; add \{name: cluster-c\} to istio-mesh-ca:rootCa.clusters/,
    );
  });
});

describe("expiry guards during preview", () => {
  const shortLived = (ack: string[] = []) =>
    meshConfig(
      {},
      {
        root: { key: EC, validityDays: 10 },
        intermediate: { key: EC, validityDays: 5 },
        expiry: { acknowledge: ack },
      },
    );

  it("warns about CA certificates expiring within 90 days, naming subject and date", async () => {
    const run = await deploy(
      meshConfig({}, { root: { key: EC, validityDays: 60 }, intermediate: { key: EC, validityDays: 30 } }),
      undefined,
    );
    expect(run.error).toBeUndefined();
    expect(run.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^istio-mesh-ca:ca.expiry: root \(generation 1\) "O=Istio, CN=Root CA" \(sha256 [0-9a-f]{64}\) expires on \d{4}-\d\d-\d\dT.*Z \(in 59 days\)/,
        ),
        expect.stringMatching(
          /^istio-mesh-ca:ca.expiry: intermediate of cluster cluster-a "O=Istio, L=cluster-a, CN=Intermediate CA" .* expires on /,
        ),
      ]),
    );
  });

  it("refuses certificates within 14 days unless acknowledged", async () => {
    const err = await refusal(shortLived(), undefined, {}, preview);
    expect(err?.message).toMatch(
      /istio-mesh-ca:ca.expiry:\n {2}- root \(generation 1\) "O=Istio, CN=Root CA" .* within the 14-day limit: rotate it .* expiry.acknowledge/,
    );
    const acked = await deploy(
      shortLived(["O=Istio, CN=Root CA", "O=Istio, L=cluster-a, CN=Intermediate CA"]),
      undefined,
    );
    expect(acked.error).toBeUndefined();
    expect(acked.warnings.filter((w) => w.includes("istio-mesh-ca:ca.expiry"))).toHaveLength(2);
  });
});

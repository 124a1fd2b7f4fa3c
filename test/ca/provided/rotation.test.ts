import * as crypto from "crypto";
import { ROOT_BUNDLE_ANNOTATION } from "../../../components/ca/lifecycle";
import { deploymentOrderProblem } from "../../../components/ca/provided";
import { ProgramRun, byName } from "../../harness/program";
import { deploy, refusal } from "../lifecycle/support";
import { ProvidedFixtures, makeProvidedFixtures, providedConfig } from "./fixtures";

/**
 * Intermediate and three-phase root rotation with supplied PEMs: each step is new PEMs in config; the
 * stack reads back what it deployed last (its `clusters` output) and refuses a step out of order.
 */
describe("provided backend: rotation", () => {
  let f: ProvidedFixtures;
  beforeAll(() => {
    f = makeProvidedFixtures();
  });
  const cfg = (roots: string, inter: { cert: string; key: string }) =>
    providedConfig(roots, { cluster1: { caCertPem: inter.cert, caKeyPem: inter.key } });
  const step = (roots: string, inter: { cert: string; key: string }, previous?: ProgramRun) =>
    deploy(cfg(roots, inter), previous?.outputs, {}, { secretKeys: ["ca"] });
  const istiod = (run: ProgramRun) => byName(run, "cluster1-istio-istiod").inputs.values.pilot;
  const cacerts = (run: ProgramRun) => byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
  const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

  it("walks steady → dual → cutover → finalize; istiod restarts only when the bundle changes", async () => {
    const steady = await step(f.rootA.cert, f.interA);
    expect(steady.error).toBeUndefined();

    // Intermediate rotation, same root: only cacerts changes; istiod reloads it by itself.
    const rotated = await step(f.rootA.cert, f.interA2, steady);
    expect(rotated.error).toBeUndefined();
    expect(cacerts(rotated)["ca-cert.pem"]).toBe(f.interA2.cert);
    expect(istiod(rotated)).toEqual(istiod(steady));

    const dual = await step(f.rootA.cert + f.rootB.cert, f.interA, steady);
    expect(dual.error).toBeUndefined();
    expect(istiod(dual).env.ISTIO_MULTIROOT_MESH).toBe("true");
    expect(istiod(dual).podAnnotations[ROOT_BUNDLE_ANNOTATION]).toBe(sha256(f.rootA.cert + f.rootB.cert));

    const cutover = await step(f.rootA.cert + f.rootB.cert, f.interB, dual);
    expect(cutover.error).toBeUndefined();
    expect(cacerts(cutover)["cert-chain.pem"]).toBe(f.interB.cert + f.rootB.cert);
    expect(istiod(cutover)).toEqual(istiod(dual)); // no restart: istiod reloads the new intermediate

    const finalize = await step(f.rootB.cert, f.interB, cutover);
    expect(finalize.error).toBeUndefined();
    expect(istiod(finalize).env?.ISTIO_MULTIROOT_MESH).toBeUndefined();
    expect(istiod(finalize).podAnnotations[ROOT_BUNDLE_ANNOTATION]).toBe(sha256(f.rootB.cert));
    expect(cacerts(finalize)["root-cert.pem"]).toBe(f.rootB.cert);
  });

  it("refuses steps out of order, naming the step to apply first", async () => {
    const steady = await step(f.rootA.cert, f.interA);
    const dual = await step(f.rootA.cert + f.rootB.cert, f.interA, steady);
    const refuse = (roots: string, inter: { cert: string; key: string }, previous: ProgramRun) =>
      refusal(cfg(roots, inter), previous.outputs, {}, { secretKeys: ["ca"] });
    // Root replaced in one step, or dual and cutover at once: the new intermediate's root is not trusted yet.
    for (const roots of [f.rootB.cert, f.rootA.cert + f.rootB.cert]) {
      const e = await refuse(roots, f.interB, steady);
      expect(e?.message).toMatch(
        /istio-mesh-ca:ca.clusters.cluster1.caCertPem: the intermediate "O=Istio, CN=Intermediate CA G2, L=cluster1" .* chains to root "O=Istio, CN=Root CA G2" .* which the deployed trust bundle .* does not hold yet.*Root rotation step 1 first/,
      );
    }
    // Finalize before cutover: the old root still signs the deployed intermediate.
    const e = await refuse(f.rootB.cert, f.interB, dual);
    expect(e?.message).toMatch(
      /istio-mesh-ca:ca.rootCertPem: drops root "O=Istio, CN=Root CA" .* which signed the deployed intermediate "O=Istio, CN=Intermediate CA, L=cluster1" .* of cluster cluster1.*Root rotation step 2 first/,
    );
  });

  it("deploymentOrderProblem is pure and silent on a first deployment", () => {
    expect(deploymentOrderProblem("cluster1", undefined, f.rootB.cert, f.interB.cert)).toBeUndefined();
    expect(
      deploymentOrderProblem(
        "cluster1",
        { rootCertBundle: f.rootA.cert, intermediateCert: f.interA.cert },
        f.rootA.cert,
        f.interA2.cert,
      ),
    ).toBeUndefined();
  });
});

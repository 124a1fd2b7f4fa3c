import * as crypto from "crypto";
import { CA_MATERIAL_ANNOTATION, ROOT_BUNDLE_ANNOTATION } from "../../../components/ca/lifecycle";
import { configProblems } from "../../harness/configProblems";
import { ProgramRun, byName, isSecretValue, ofType, privateKeyOccurrences, runProgram } from "../../harness/program";
import { ProvidedFixtures, makeProvidedFixtures, providedConfig } from "./fixtures";

/** The `provided` backend under Pulumi mocks: the whole program (index.ts) with supplied PEMs. */
describe("provided backend", () => {
  let f: ProvidedFixtures;
  beforeAll(() => {
    f = makeProvidedFixtures();
  });
  const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
  const one = () => providedConfig(f.rootA.cert, { cluster1: { caCertPem: f.interA.cert, caKeyPem: f.interA.key } });

  describe("Makefile-like material, one cluster", () => {
    let run: ProgramRun;
    beforeAll(async () => {
      run = await runProgram(one(), { secretKeys: ["ca"] });
    });

    it("runs, and registers no tls resource at all (no tls provider plugin needed)", () => {
      expect(run.error).toBeUndefined();
      expect(run.resources.filter((r) => r.type.startsWith("tls:") || r.type.includes("pulumi:providers:tls"))).toEqual(
        [],
      );
      expect(ofType(run, "istio-mesh-ca:ca:ProvidedCa").map((r) => r.name)).toEqual(["cluster1-ca"]);
    });

    it("fills cacerts with exactly the four files, the data a secret and ca-key.pem the supplied key", () => {
      const secret = byName(run, "cluster1-istio-cacerts-secret");
      expect(secret.inputs.metadata).toMatchObject({ name: "cacerts", namespace: "istio-system" });
      expect(isSecretValue(secret.rawInputs.stringData)).toBe(true);
      const data = secret.inputs.stringData;
      expect(Object.keys(data).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
      expect(data["ca-cert.pem"]).toBe(f.interA.cert);
      expect(data["ca-key.pem"]).toBe(f.interA.key);
      expect(data["root-cert.pem"]).toBe(f.rootA.cert);
      expect(data["cert-chain.pem"]).toBe(f.interA.cert + f.rootA.cert);
      // The key appears nowhere but under a secret.
      const keys = privateKeyOccurrences(run);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => !k.secret)).toEqual([]);
    });

    it("exports the contract's outputs (key never), the chain with its path length, and an inventory with pathLenConstraint", () => {
      const c = run.outputs.clusters.cluster1;
      expect(c).toMatchObject({
        backend: "provided",
        rootCertBundle: f.rootA.cert,
        intermediateCert: f.interA.cert,
        certChain: f.interA.cert + f.rootA.cert,
      });
      expect(JSON.stringify(run.outputs)).not.toContain("PRIVATE KEY");
      expect(c.backendOutputs.chain.map((e: any) => [e.position, e.subject, e.pathLenConstraint])).toEqual([
        ["intermediate", "O=Istio, CN=Intermediate CA, L=cluster1", 0],
        ["root", "O=Istio, CN=Root CA", undefined],
      ]);
      const inventory = run.outputs.inventory.cluster1;
      expect(inventory.map((e: any) => [e.role, e.backend, e.pathLenConstraint])).toEqual([
        ["root", "provided", undefined],
        ["intermediate", "provided", 0],
      ]);
    });

    it("with one root: istiod restarts when the bundle changes (annotation), no multi-root env", () => {
      const values = byName(run, "cluster1-istio-istiod").inputs.values;
      expect(values.pilot.podAnnotations[ROOT_BUNDLE_ANNOTATION]).toBe(sha256(f.rootA.cert));
      expect(values.pilot.env?.ISTIO_MULTIROOT_MESH).toBeUndefined();
      expect(JSON.stringify(values)).not.toContain(CA_MATERIAL_ANNOTATION);
    });
  });

  it("root rotation: two roots in rootCertPem make istiod trust both (ISTIO_MULTIROOT_MESH) and restart once", async () => {
    const bundle = f.rootA.cert + f.rootB.cert;
    for (const inter of [f.interA, f.interB]) {
      // dual (old root signs), then cutover (new root signs)
      const run = await runProgram(
        providedConfig(bundle, { cluster1: { caCertPem: inter.cert, caKeyPem: inter.key } }),
        { secretKeys: ["ca"] },
      );
      expect(run.error).toBeUndefined();
      const values = byName(run, "cluster1-istio-istiod").inputs.values;
      expect(values.pilot.env.ISTIO_MULTIROOT_MESH).toBe("true");
      expect(values.pilot.podAnnotations[ROOT_BUNDLE_ANNOTATION]).toBe(sha256(bundle));
      const data = byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
      expect(data["root-cert.pem"]).toBe(bundle);
      expect(run.outputs.clusters.cluster1.backendOutputs.rootCount).toBe(2);
    }
  });

  it("a corporate chain: cert-chain.pem as supplied, several clusters each with their own intermediate", async () => {
    const chain = f.corpInter.cert + f.corpPolicy.cert + f.corpRoot.cert;
    const run = await runProgram(
      providedConfig(f.corpRoot.cert + f.rootA.cert, {
        cluster1: { caCertPem: f.corpInter.cert, caKeyPem: f.corpInter.key, certChainPem: chain },
        cluster2: { caCertPem: f.interA2.cert, caKeyPem: f.interA2.key },
      }),
      { secretKeys: ["ca"] },
    );
    expect(run.error).toBeUndefined();
    expect(byName(run, "cluster1-istio-cacerts-secret").inputs.stringData["cert-chain.pem"]).toBe(chain);
    expect(byName(run, "cluster2-istio-cacerts-secret").inputs.stringData["cert-chain.pem"]).toBe(
      f.interA2.cert + f.rootA.cert,
    );
    expect(run.outputs.clusters.cluster1.backendOutputs.chain.map((e: any) => e.pathLenConstraint)).toEqual([
      0,
      1,
      undefined,
    ]);
  });

  it("writes the certificates only, without text around them (e.g. `openssl pkcs12` bag attributes)", async () => {
    const noisy = (pem: string) => `Bag Attributes\n    friendlyName: istio\nsubject=O=Istio\n${pem}`;
    const run = await runProgram(
      providedConfig(f.rootA.cert, {
        cluster1: {
          caCertPem: noisy(f.interA.cert),
          caKeyPem: f.interA.key,
          certChainPem: noisy(f.interA.cert) + noisy(f.rootA.cert),
        },
      }),
      { secretKeys: ["ca"] },
    );
    expect(run.error).toBeUndefined();
    const data = byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
    expect(data["ca-cert.pem"]).toBe(f.interA.cert);
    expect(data["cert-chain.pem"]).toBe(f.interA.cert + f.rootA.cert);
  });

  it("takes values as `pulumi config set < file` stores them (trailing newline stripped) and writes proper PEM files", async () => {
    const strip = (pem: string) => pem.replace(/\n+$/, "");
    const run = await runProgram(
      providedConfig(strip(f.rootA.cert + f.rootB.cert), {
        cluster1: {
          caCertPem: strip(f.interA.cert),
          caKeyPem: strip(f.interA.key),
          certChainPem: strip(f.interA.cert + f.rootA.cert),
        },
      }),
      { secretKeys: ["ca"] },
    );
    expect(run.error).toBeUndefined();
    const data = byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
    expect(data).toEqual({
      "ca-cert.pem": f.interA.cert,
      "ca-key.pem": f.interA.key,
      "root-cert.pem": f.rootA.cert + f.rootB.cert,
      "cert-chain.pem": f.interA.cert + f.rootA.cert,
    });
  });

  describe("refusals: before any resource, naming the key, the value and what is allowed", () => {
    const refused = async (config: Record<string, unknown>, secret = true) => {
      const run = await runProgram(config, { secretKeys: secret ? ["ca"] : [] });
      expect(run.resources).toEqual([]);
      expect(run.error?.message).toMatch(/^invalid stack config:/);
      return run.error!.message;
    };
    const withCluster1 = (m: Record<string, string | undefined>, root?: string) =>
      providedConfig(root ?? f.rootA.cert, { cluster1: { caCertPem: f.interA.cert, caKeyPem: f.interA.key, ...m } });

    it.each([
      [
        "wrong key",
        () => withCluster1({ caKeyPem: f.rootB.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caKeyPem: does not match the public key of caCertPem (got "(private key, not shown)")',
      ],
      [
        "not a CA",
        () => withCluster1({ caCertPem: f.notCa.cert, caKeyPem: f.notCa.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caCertPem: "O=Istio, CN=Not A CA"',
      ],
      [
        "not signed by the bundle",
        () => withCluster1({ caCertPem: f.interB.cert, caKeyPem: f.interB.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caCertPem: "O=Istio, CN=Intermediate CA G2, L=cluster1"',
      ],
      [
        "expired",
        () => withCluster1({ caCertPem: f.expired.cert, caKeyPem: f.expired.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caCertPem: "CN=Expired CA, O=Istio, L=cluster1" (sha256',
      ],
      [
        "expiring within expiry.errorDays",
        () => withCluster1({ caCertPem: f.soon.cert, caKeyPem: f.soon.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caCertPem: intermediate of cluster cluster1 "O=Istio, CN=Expiring Soon, L=cluster1"',
      ],
      [
        "weak RSA 1024",
        () => withCluster1({ caCertPem: f.weakRsa.cert, caKeyPem: f.weakRsa.key }),
        'istio-mesh-ca:ca.clusters.cluster1.caCertPem: "O=Istio, CN=Weak RSA, L=cluster1" (sha256',
      ],
      [
        "Ed25519",
        () => withCluster1({ caCertPem: f.ed25519.cert, caKeyPem: f.ed25519.key }),
        "an ed25519 key (RSA or ECDSA required",
      ],
      [
        "outliving its root",
        () => withCluster1({ caCertPem: f.outliving.cert, caKeyPem: f.outliving.key }, f.shortRoot.cert),
        "cannot outlive its issuer",
      ],
    ])("%s", async (_what, config, expected) => {
      const msg = await refused(config());
      expect(msg).toContain(expected);
      expect(msg).not.toMatch(/-----BEGIN|MII/);
    });

    it("expiring within errorDays is accepted once acknowledged (the lifecycle's expiry guard), with a warning", async () => {
      const cfg = providedConfig(
        f.rootA.cert,
        { cluster1: { caCertPem: f.soon.cert, caKeyPem: f.soon.key } },
        { expiry: { acknowledge: ["O=Istio, CN=Expiring Soon, L=cluster1"] } },
      );
      const run = await runProgram(cfg, { secretKeys: ["ca"] });
      expect(run.error).toBeUndefined();
      expect(run.warnings.join("\n")).toMatch(
        /istio-mesh-ca:ca.expiry: intermediate of cluster cluster1 "O=Istio, CN=Expiring Soon, L=cluster1" .* expires on .* \(in [45] days\)/,
      );
    });

    it("a cluster of the stack without material, and material for an unknown cluster", async () => {
      const cfg = providedConfig(f.rootA.cert, { cluster9: { caCertPem: f.interA.cert, caKeyPem: f.interA.key } });
      cfg.clusters = [{ name: "cluster1" }];
      const msg = await refused(cfg);
      expect(msg).toContain(
        "istio-mesh-ca:ca.clusters.cluster1: no CA material for cluster \"cluster1\" (listed in istio-mesh-ca:clusters); set it with: pulumi config set --path 'istio-mesh-ca:ca.clusters.cluster1.caCertPem' < cluster1/ca-cert.pem && pulumi config set --secret --path 'istio-mesh-ca:ca.clusters.cluster1.caKeyPem' < cluster1/ca-key.pem",
      );
      expect(msg).toContain(
        'istio-mesh-ca:ca.clusters.cluster9: material for a cluster this stack does not have; istio-mesh-ca:clusters lists "cluster1"',
      );
    });

    it("a private key in plain (non-secret) config, without printing it", async () => {
      const msg = await refused(one(), false);
      expect(msg).toContain(
        "istio-mesh-ca:ca.clusters.cluster1.caKeyPem: a private key in plain config; set it with `pulumi config set --secret --path 'istio-mesh-ca:ca.clusters.cluster1.caKeyPem'`",
      );
      expect(msg).not.toContain(f.interA.key.split("\n")[1]);
    });

    it("every problem at once (pure config check)", () => {
      const problems = configProblems(
        providedConfig(f.shortRoot.cert, {
          cluster1: { caCertPem: f.weakRsa.cert, caKeyPem: f.interA.key },
          cluster2: { caCertPem: f.interA2.cert },
        }),
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^istio-mesh-ca:ca.clusters.cluster1.caKeyPem: does not match the public key of caCertPem/,
          ),
          expect.stringMatching(
            /^istio-mesh-ca:ca.clusters.cluster1.caCertPem: .* is not signed by any root in rootCertPem/,
          ),
          expect.stringMatching(
            /^istio-mesh-ca:ca.clusters.cluster2.caKeyPem: required: the intermediate's private key \(ca-key.pem\) of cluster cluster2, as secret config. Set it with: pulumi config set --secret --path 'istio-mesh-ca:ca.clusters.cluster2.caKeyPem' < cluster2\/ca-key.pem/,
          ),
        ]),
      );
    });
  });
});

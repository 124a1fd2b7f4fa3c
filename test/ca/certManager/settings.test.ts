import * as fc from "fast-check";
import {
  CertManagerCaSettings,
  SignerSettings,
  defaultSignerOf,
  resolveCertManagerSettings,
  signerKey,
  signerProblems,
  signerValidityDays,
} from "../../../components/ca/certManager/settings";
import { runUnderMocks } from "../../harness/program";
import { caSecretReads } from "./fixtures";

/**
 * components/ca/certManager/settings.ts owns the cert-manager backend's defaults and checks; the
 * config schema (test/config/backends/certManager.test.ts) only resolves through them.
 */

const selfSigned = (name: string): SignerSettings => ({ kind: "selfSignedCa", name });

describe("resolveCertManagerSettings (pure)", () => {
  it("applies every documented default: Istio's Kubernetes CSR task layout, cert-manager installed, the first signer as default", () => {
    const signers = [selfSigned("istio-system"), selfSigned("foo")];
    expect(resolveCertManagerSettings({ signers })).toEqual({
      resolved: true,
      mode: "kubernetesCsr",
      certManager: {
        install: true,
        namespace: "cert-manager",
        createNamespace: true,
        version: "v1.21.2",
        chartRepository: "https://charts.jetstack.io",
        values: {},
      },
      signers,
      defaultSigner: signers[0],
      namespaceSigners: {},
      istioCsr: {
        version: "v0.17.0",
        chartRepository: "https://charts.jetstack.io",
        trustDomain: "cluster.local",
        clusterId: "Kubernetes",
        values: {},
      },
    });
  });

  it("keeps what is given", () => {
    const given: CertManagerCaSettings = {
      mode: "istioCsr",
      signers: [selfSigned("a"), selfSigned("b")],
      defaultSigner: "b",
      certManager: {
        install: false,
        namespace: "cm",
        createNamespace: false,
        version: "v1.20.0",
        chartRepository: "https://charts.example",
        values: { a: 1 },
      },
      istioCsr: {
        version: "v0.16.0",
        chartRepository: "https://charts.example",
        trustDomain: "td",
        revisions: ["1-29"],
        clusterId: "c1",
        values: { b: 2 },
      },
    };
    const resolved = resolveCertManagerSettings(given);
    expect(resolved).toMatchObject({ mode: "istioCsr", certManager: given.certManager, istioCsr: given.istioCsr });
    expect(resolved.defaultSigner.name).toBe("b");
  });

  it("defaults a generated signer's CA key and lifetime", () => {
    expect(signerKey({ kind: "selfSignedCa", name: "a" })).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(signerValidityDays({ kind: "issuer", name: "a", namespace: "ns" })).toBe(3650);
    expect(signerValidityDays({ kind: "issuer", name: "a", namespace: "ns", validityDays: 10 })).toBe(10);
    expect(defaultSignerOf({ signers: [selfSigned("a"), selfSigned("b")], defaultSigner: "b" }).name).toBe("b");
  });
});

describe("signerProblems (pure)", () => {
  const signers = (names: string[]): SignerSettings[] => names.map(selfSigned);

  it("finds nothing wrong with the layout of Istio's Kubernetes CSR task", () => {
    expect(
      signerProblems({
        mode: "kubernetesCsr",
        signers: signers(["istio-system", "foo", "bar"]),
        defaultSigner: "istio-system",
        namespaceSigners: { foo: "foo", bar: "bar" },
      }),
    ).toEqual([]);
  });

  it("reports every problem with its path and the bad value", () => {
    const problems = signerProblems({
      mode: "kubernetesCsr",
      signers: signers(["a", "b", "a"]),
      defaultSigner: "z",
      namespaceSigners: { foo: "y" },
    });
    expect(problems.map((p) => [p.path.join("."), p.input])).toEqual([
      ["signers.2.name", "a"],
      ["defaultSigner", "z"],
      ["namespaceSigners.foo", "y"],
    ]);
  });

  it("refuses a signer named like another signer's bootstrap issuer", () => {
    const problems = signerProblems({ signers: signers(["foo", "foo-selfsigned"]) });
    expect(problems).toEqual([
      expect.objectContaining({
        path: ["signers", 0, "name"],
        message: expect.stringMatching(/bootstrap issuer named "foo-selfsigned"/),
      }),
    ]);
  });

  it("refuses mixed signer domains in kubernetesCsr mode and per-namespace signers with istio-csr", () => {
    const mixed = [selfSigned("a"), { kind: "issuer" as const, name: "b", namespace: "ns" }];
    expect(signerProblems({ signers: mixed }).map((p) => p.path)).toEqual([["signers", 1, "kind"]]);
    expect(
      signerProblems({ mode: "istioCsr", signers: mixed, namespaceSigners: { ns: "b" } }).map((p) => p.path),
    ).toEqual([["namespaceSigners"]]);
    expect(signerProblems({ signers: [] })).toEqual([
      { path: ["signers"], input: [], message: "list at least one signer" },
    ]);
  });

  it("accepts exactly the mappings whose signers are declared (property)", () => {
    const name = fc.constantFrom("a", "b", "c", "d");
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1 }),
        fc.dictionary(fc.constantFrom("n1", "n2", "n3"), name),
        (declared, mapping) => {
          const problems = signerProblems({
            mode: "kubernetesCsr",
            signers: signers(declared),
            namespaceSigners: mapping,
          });
          const unknown = Object.entries(mapping)
            .filter(([, s]) => !declared.includes(s))
            .map(([ns]) => ns);
          expect(problems.map((p) => p.path[1])).toEqual(unknown);
        },
      ),
    );
  });
});

describe("CertManagerCa checks settings once", () => {
  /** Builds a CertManagerCa with `settings`, counting the calls of `signerProblems`. */
  const build = (
    settings: (s: typeof import("../../../components/ca/certManager/settings")) => unknown,
    more: Record<string, unknown> = {},
  ) => {
    let checks = 0;
    const secrets = caSecretReads();
    return runUnderMocks(
      () => {
        const s = require("../../../components/ca/certManager/settings");
        const original = s.signerProblems;
        jest.spyOn(s, "signerProblems").mockImplementation((...a: unknown[]) => {
          checks++;
          return original(...a);
        });
        const k8s = require("@pulumi/kubernetes");
        const { CertManagerCa } = require("../../../components/ca/certManager");
        new CertManagerCa("cm", {
          settings: settings(s),
          provider: new k8s.Provider("c1", {}),
          istioNamespace: "istio-system",
          ...more,
        });
        return {};
      },
      {},
      { extraState: secrets.extraState },
    ).then((run) => ({ run, checks }));
  };

  it("refuses a library user's bad settings before registering children, every problem named", async () => {
    const { run, checks } = await build(() => ({
      signers: [selfSigned("a")],
      defaultSigner: "z",
      namespaceSigners: { foo: "y" },
    }));
    expect(checks).toBe(1);
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(
      'cm.defaultSigner: signer "z" is not declared in signers (declared: a); cm.namespaceSigners.foo: signer "y" is not declared in signers (declared: a)',
    );
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
  });

  it("names the refusals by settingsName (as a stack program names its config key)", async () => {
    const { run } = await build(() => ({ signers: [selfSigned("a")], defaultSigner: "z" }), {
      settingsName: "istio-mesh-ca:ca",
    });
    expect(run.error?.message).toBe(
      'istio-mesh-ca:ca.defaultSigner: signer "z" is not declared in signers (declared: a)',
    );
  });

  it("does not check again settings that come resolved (from the config schema)", async () => {
    const { run, checks } = await build((s) => s.resolveCertManagerSettings({ signers: [selfSigned("a")] }));
    expect(run.error).toBeUndefined();
    expect(checks).toBe(0);
  });
});

import { ttlProblems } from "../../../components/ca/vault/settings";
import { clusterProblems, plaintextTokenProblems, vaultConfigSchema } from "../../../config/backends/vault";
import { durationSeconds } from "../../../components/ca/vault/settings";
import { agentTemplates, injectorAnnotations } from "../../../components/ca/vault/agentTemplates";
import { policyPaths, readOnlyPolicy, vaultReadPaths } from "../../../components/ca/vault/paths";
import { runProgram, stackConfig } from "../../harness/program";

/** The staging stack with `ca` changed by `edit`. */
function stagingWith(edit: (ca: Record<string, any>) => void): Record<string, unknown> {
  const cfg = stackConfig("staging");
  const ca = JSON.parse(JSON.stringify(cfg.ca));
  edit(ca);
  return { ...cfg, ca };
}

describe("vault config errors fail before any resource, naming the key, value and what is allowed", () => {
  const cases: [string, (ca: Record<string, any>) => void, RegExp[], string[]?][] = [
    [
      "missing address",
      (ca) => {
        delete ca.address;
      },
      [
        /istio-mesh-ca:ca\.address: .*must be the Vault address as an http\(s\) URL, e\.g\. https:\/\/vault\.example\.internal:8200/,
      ],
    ],
    [
      "address that is not a URL",
      (ca) => {
        ca.address = "vault:8200";
      },
      [/istio-mesh-ca:ca\.address: must be the Vault address/, /got "vault:8200"/],
    ],
    [
      "TTL in words",
      (ca) => {
        ca.intermediate.ttl = "10 years";
      },
      [
        /istio-mesh-ca:ca\.intermediate\.ttl: must be a Vault duration: digits followed by s, m, h or d, e\.g\. "8760h"/,
        /got "10 years"/,
      ],
    ],
    [
      "unknown root mode",
      (ca) => {
        ca.root.mode = "hsm";
      },
      [/istio-mesh-ca:ca\.root\.mode: root\.mode must be one of "internal", "offline"/, /"hsm"/],
    ],
    [
      "KV version 3",
      (ca) => {
        ca.kv.version = 3;
      },
      [/istio-mesh-ca:ca\.kv\.version: must be 1 or 2/, /got 3/],
    ],
    [
      "intermediate outliving the Vault root",
      (ca) => {
        ca.root = { mode: "internal", ttl: "8760h" };
        ca.intermediate.ttl = "17520h";
      },
      [/istio-mesh-ca:ca\.intermediate\.ttl: intermediate\.ttl is longer than the root allows \(8760h/],
    ],
    [
      "intermediate outliving the offline root",
      (ca) => {
        ca.root.validityDays = 100;
      },
      [/istio-mesh-ca:ca\.intermediate\.ttl: intermediate\.ttl \(365 days\) is longer than root\.validityDays \(100\)/],
    ],
    [
      "misspelt key",
      (ca) => {
        ca.adress = ca.address;
      },
      [/istio-mesh-ca:ca: unknown key\(s\) "adress"/],
    ],
    [
      "agent render interval in days",
      (ca) => {
        ca.agentRenderInterval = "1d";
      },
      [
        /istio-mesh-ca:ca\.agentRenderInterval: must be a duration in seconds, minutes or hours, e\.g\. "30s" or "2m"/,
        /got "1d"/,
      ],
    ],
    [
      "lifecycle settings with an internal root",
      (ca) => {
        ca.root = { mode: "internal" };
        ca.rotation = { rootPhase: "dual", restartDeployments: [{ namespace: "apps", name: "web" }] };
        ca.intermediateSource = { kind: "rootStack", stack: "organization/istio-mesh-ca/root" };
      },
      [
        /istio-mesh-ca:ca\.rotation\.rootPhase: not used with root\.mode internal: Vault holds that root/,
        /istio-mesh-ca:ca\.rotation\.restartDeployments: not used with root\.mode internal/,
        /istio-mesh-ca:ca\.intermediateSource: not used with root\.mode internal/,
      ],
    ],
    [
      "expiry guards with an internal root",
      (ca) => {
        ca.root = { mode: "internal" };
        ca.expiry = { warnDays: 30 };
      },
      [/istio-mesh-ca:ca\.expiry: not used with root\.mode internal/],
    ],
    [
      "intermediate outliving the incoming root",
      (ca) => {
        ca.rotation = { rootPhase: "dual", newRoot: { validityDays: 100 } };
      },
      [
        /istio-mesh-ca:ca\.intermediate\.ttl: intermediate\.validityDays is 365, longer than rotation\.newRoot\.validityDays \(100\)/,
      ],
    ],
    [
      "rotation phases in a stack reading from a root stack",
      (ca) => {
        ca.intermediateSource = { kind: "rootStack", stack: "organization/istio-mesh-ca/root" };
        ca.rotation = { intermediateGeneration: 2 };
      },
      [/istio-mesh-ca:ca\.rotation\.intermediateGeneration: not used with intermediateSource rootStack/],
    ],
    [
      "plaintext token",
      (ca) => {
        ca.token = "hvs.plaintext-token-value";
      },
      [
        /istio-mesh-ca:ca\.token: a Vault token in plain config/,
        /pulumi config set --secret --path 'istio-mesh-ca:ca\.token'/,
      ],
      ["hvs.plaintext-token-value"],
    ],
  ];

  it.each(cases)("%s", async (_label, edit, messages, mustNotAppear = []) => {
    const run = await runProgram(stagingWith(edit), { stack: "staging" });
    expect(run.error).toBeDefined();
    expect(run.error!.name).toBe("ConfigError");
    for (const m of messages) expect(run.error!.message).toMatch(m);
    for (const s of mustNotAppear) expect(run.error!.message).not.toContain(s);
    expect(run.resources).toHaveLength(0);
  });

  it("refuses a second cluster (one Kubernetes auth mount per stack)", async () => {
    const run = await runProgram(
      { ...stackConfig("staging"), clusters: [{ name: "a" }, { name: "b" }] },
      { stack: "staging" },
    );
    expect(run.error?.message).toMatch(
      /istio-mesh-ca:clusters: the vault backend serves exactly one cluster per stack/,
    );
    expect(run.resources).toHaveLength(0);
  });
});

describe("durations", () => {
  it("parses Vault durations into seconds", () => {
    expect(durationSeconds("600s")).toBe(600);
    expect(durationSeconds("8760h")).toBe(8760 * 3600);
    expect(durationSeconds("1d12h")).toBe(36 * 3600);
    expect(() => durationSeconds("10 years")).toThrow(/duration: not a Vault duration/);
  });
  it("rejects a zero lifetime", () => {
    const r = vaultConfigSchema.safeParse({
      ...(stackConfig("staging").ca as object),
      kubernetesAuth: { ...(stackConfig("staging").ca as any).kubernetesAuth, tokenPeriod: "0s" },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message)).toContain("must be longer than zero");
  });
});

describe("pure checks", () => {
  const parsed = vaultConfigSchema.parse(stackConfig("staging").ca);
  it("accept the staging config and fill defaults", () => {
    expect(ttlProblems(parsed)).toEqual([]);
    expect(parsed.root.mode).toBe("offline");
    expect(parsed.kubernetesAuth.tokenPeriod).toBe("600s");
  });
  it("flag an intermediate TTL above its own mount's max lease", () => {
    expect(
      ttlProblems({ ...parsed, intermediate: { ...parsed.intermediate, ttl: "50000h" } }).map((p) => p.path.join(".")),
    ).toContain("intermediate.ttl");
  });
  it("allow exactly one cluster", () => {
    expect(clusterProblems(1)).toEqual([]);
    expect(clusterProblems(2)).toHaveLength(1);
  });
  it("refuse a token only when the ca key is not secret", () => {
    expect(plaintextTokenProblems({ token: "t" }, true)).toEqual([]);
    expect(plaintextTokenProblems({ token: undefined }, false)).toEqual([]);
    expect(plaintextTokenProblems({ token: "t" }, false)[0]).toMatch(/istio-mesh-ca:ca\.token/);
  });
});

describe("policy", () => {
  const kv = { kvMount: "kv", kvPath: "istioca" };
  it("grants read, and nothing else, on exactly the KV secret (KV v2 under data/); no PKI path", () => {
    const hcl = readOnlyPolicy(policyPaths(vaultReadPaths({ ...kv, kvVersion: 2 })));
    expect(hcl).toBe('path "kv/data/istioca" {\n  capabilities = ["read"]\n}\n');
    expect(hcl).not.toMatch(/create|update|delete|list|sudo|\bdeny\b|cert\/|pki|istioca\/cert/);
  });
  it("uses the KV v1 path as is", () => {
    expect(policyPaths(vaultReadPaths({ ...kv, kvVersion: 1 }))).toEqual(["kv/istioca"]);
    expect(readOnlyPolicy(policyPaths(vaultReadPaths({ kvMount: "secret", kvPath: "istio/ca", kvVersion: 1 })))).toBe(
      'path "secret/istio/ca" {\n  capabilities = ["read"]\n}\n',
    );
  });
});

describe("agent templates and annotations", () => {
  const paths = vaultReadPaths({ kvMount: "kv", kvPath: "istioca", kvVersion: 2 });
  it("read every file from the one KV secret the policy grants, each from its own field", () => {
    const t = agentTemplates(paths);
    expect(Object.fromEntries(Object.entries(t).map(([f, x]) => [f, x.secretPath]))).toEqual({
      "ca-cert.pem": "kv/data/istioca",
      "ca-key.pem": "kv/data/istioca",
      "cert-chain.pem": "kv/data/istioca",
      "root-cert.pem": "kv/data/istioca",
    });
    for (const [f, x] of Object.entries(t)) {
      expect(policyPaths(paths)).toContain(x.secretPath);
      expect(x.template).toBe(`{{- with secret "kv/data/istioca" -}}\n{{ index .Data.data "${f}" }}\n{{- end -}}\n`);
    }
    expect(JSON.stringify(t)).not.toMatch(/cert\/ca|ca_chain|\.Data\.certificate/);
    expect(agentTemplates({ ...paths, kvV2: false })["ca-cert.pem"].template).toContain('index .Data "ca-cert.pem"');
  });
  it("omit the namespace annotation unless Vault has one", () => {
    const args = {
      paths,
      role: "istiod",
      authPath: "kubernetes",
      secretVolumePath: "/vault/secrets",
      address: "https://v:8200",
    };
    expect(Object.keys(injectorAnnotations(args))).not.toContain("vault.hashicorp.com/namespace");
    expect(injectorAnnotations({ ...args, vaultNamespace: "ns1" })["vault.hashicorp.com/namespace"]).toBe("ns1");
    expect(Object.keys(injectorAnnotations(args))).toHaveLength(6 + 8);
  });
  it("set the agent's render interval only when agentRenderInterval is given", () => {
    const args = {
      paths,
      role: "istiod",
      authPath: "kubernetes",
      secretVolumePath: "/vault/secrets",
      address: "https://v:8200",
    };
    expect(Object.keys(injectorAnnotations(args))).not.toContain(
      "vault.hashicorp.com/template-static-secret-render-interval",
    );
    expect(
      injectorAnnotations({ ...args, renderInterval: "30s" })[
        "vault.hashicorp.com/template-static-secret-render-interval"
      ],
    ).toBe("30s");
  });
});

import { injectorAnnotations } from "../../../components/ca/vault/agentTemplates";
import { authAndTlsProblems } from "../../../components/ca/vault/settings";
import { plaintextTokenProblems, vaultConfigSchema } from "../../../config/backends/vault";
import { vaultReadPaths } from "../../../components/ca/vault/paths";
import { ProgramRun, byName, isSecretValue, ofType, runProgram, stackConfig } from "../../harness/program";
import { fakeVault } from "../../vault/fakeVault";
import { injectorChartValues } from "../../../components/ca/vault";
import { find, istiodChartDir, parseManifests, renderChart, selects } from "../../istio/istiodChart";

/**
 * What the Vault backend must make explicit so that istiod gets its CA from Vault or does not start:
 * who reviews istiod's login JWT, how the agent verifies Vault's TLS, an injector that fails closed,
 * and nothing mesh-wide the CA does not need.
 */

const A = "vault.hashicorp.com";
const JWT = "eyJhbGciOiJSUzI1NiJ9.reviewer-token-value.sig";

function stagingWith(edit: (ca: Record<string, any>) => void): Record<string, unknown> {
  const cfg = stackConfig("staging");
  const ca = JSON.parse(JSON.stringify(cfg.ca));
  edit(ca);
  return { ...cfg, ca };
}

async function run(edit: (ca: Record<string, any>) => void, secret = false): Promise<ProgramRun> {
  const fv = fakeVault();
  return runProgram(stagingWith(edit), {
    stack: "staging",
    extraState: fv.extraState,
    ...(secret ? { secretKeys: ["ca"] } : {}),
  });
}

describe("Kubernetes auth: the token reviewer is explicit", () => {
  it("clientJwt (default): disable_local_ca_jwt, no reviewer token, istiod may create TokenReviews", async () => {
    const r = await run(() => undefined);
    expect(r.error).toBeUndefined();
    expect(byName(r, "staging-ca-k8s-auth-config").inputs).toMatchObject({ disableLocalCaJwt: true });
    expect(byName(r, "staging-ca-k8s-auth-config").inputs.tokenReviewerJwt).toBeUndefined();
    expect(byName(r, "staging-istio-istiod-ca").inputs.rules).toEqual([
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
    ]);
  }, 180_000);

  it("vaultPod: Vault reviews with its own pod's token; istiod gets no TokenReview permission", async () => {
    const r = await run((ca) => {
      ca.kubernetesAuth.tokenReviewer = "vaultPod";
    });
    expect(r.error).toBeUndefined();
    expect(byName(r, "staging-ca-k8s-auth-config").inputs).toMatchObject({ disableLocalCaJwt: false });
    expect(ofType(r, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
  }, 180_000);

  it("reviewerJwt: the token from secret config, as a secret input, disable_local_ca_jwt set", async () => {
    const r = await run((ca) => {
      ca.kubernetesAuth.tokenReviewer = "reviewerJwt";
      ca.kubernetesAuth.tokenReviewerJwt = JWT;
    }, true);
    expect(r.error).toBeUndefined();
    const cfg = byName(r, "staging-ca-k8s-auth-config");
    expect(cfg.inputs.disableLocalCaJwt).toBe(true);
    expect(isSecretValue(cfg.rawInputs.tokenReviewerJwt)).toBe(true);
    expect(cfg.inputs.tokenReviewerJwt).toBe(JWT);
    expect(JSON.stringify(r.outputs)).not.toContain(JWT);
    expect(ofType(r, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
  }, 180_000);

  it("refuses a reviewer token in plain config, without showing it", async () => {
    const r = await run((ca) => {
      ca.kubernetesAuth.tokenReviewer = "reviewerJwt";
      ca.kubernetesAuth.tokenReviewerJwt = JWT;
    });
    expect(r.error?.message).toMatch(
      /istio-mesh-ca:ca\.kubernetesAuth\.tokenReviewerJwt: a token in plain config \(not shown\)/,
    );
    expect(r.error?.message).not.toContain(JWT);
    expect(r.resources).toHaveLength(0);
  }, 180_000);

  it("refuses a reviewer mode without its token, and a token without the mode (value not shown)", () => {
    const base = vaultConfigSchema.parse(stackConfig("staging").ca);
    const with_ = (k: Record<string, unknown>) =>
      authAndTlsProblems({ ...base, kubernetesAuth: { ...base.kubernetesAuth, ...k } });
    expect(with_({ tokenReviewer: "reviewerJwt" })).toEqual([
      expect.objectContaining({
        path: ["kubernetesAuth", "tokenReviewerJwt"],
        message: expect.stringMatching(/^required with tokenReviewer reviewerJwt/),
      }),
    ]);
    const stray = with_({ tokenReviewerJwt: JWT });
    expect(stray).toEqual([
      expect.objectContaining({
        path: ["kubernetesAuth", "tokenReviewerJwt"],
        message: expect.stringMatching(/only used with tokenReviewer reviewerJwt \(tokenReviewer is clientJwt\)/),
      }),
    ]);
    expect(JSON.stringify(stray)).not.toContain(JWT);
    expect(plaintextTokenProblems({ token: undefined, kubernetesAuth: { tokenReviewerJwt: JWT } }, true)).toEqual([]);
  });

  it("names the allowed reviewers for an unknown one", async () => {
    const r = await run((ca) => {
      ca.kubernetesAuth.tokenReviewer = "vault";
    });
    expect(r.error?.message).toMatch(
      /istio-mesh-ca:ca\.kubernetesAuth\.tokenReviewer: must be one of clientJwt, vaultPod, reviewerJwt \(got "vault"\)/,
    );
  }, 180_000);
});

describe("vault-agent TLS: a Vault on a private CA", () => {
  it("refuses caCertFile (provider only) without telling the agent how to verify Vault", async () => {
    const r = await run((ca) => {
      ca.caCertFile = "/etc/ssl/vault-ca.pem";
    });
    expect(r.error?.message).toMatch(
      /istio-mesh-ca:ca\.caCertFile: Vault's CA bundle reaches only Pulumi's provider; istiod's vault-agent must verify Vault too, or vault-agent-init fails TLS: set agentTls\.caCertSecret .* or agentTls\.caCertPath .*\(got "\/etc\/ssl\/vault-ca\.pem"\)/,
    );
    expect(r.resources).toHaveLength(0);
  }, 180_000);

  it("mounts the CA Secret through the injector and points ca-cert at it", async () => {
    const r = await run((ca) => {
      ca.caCertFile = "/etc/ssl/vault-ca.pem";
      ca.agentTls = { caCertSecret: "vault-ca", serverName: "vault.example.internal" };
    });
    expect(r.error).toBeUndefined();
    const ann = byName(r, "staging-istio-istiod").inputs.values.pilot.podAnnotations;
    expect(ann).toMatchObject({
      [`${A}/tls-secret`]: "vault-ca",
      [`${A}/ca-cert`]: "/vault/tls/ca.crt",
      [`${A}/tls-server-name`]: "vault.example.internal",
    });
  }, 180_000);

  it("annotates a CA path already in the pod; refuses a Secret and a path together", () => {
    const args = {
      paths: vaultReadPaths({ kvMount: "kv", kvPath: "istioca", kvVersion: 2 }),
      role: "istiod",
      authPath: "kubernetes",
      secretVolumePath: "/vault/secrets",
      address: "https://v:8200",
    };
    const ann = injectorAnnotations({ ...args, tls: { caCertPath: "/etc/pki/vault-ca.pem" } });
    expect(ann[`${A}/ca-cert`]).toBe("/etc/pki/vault-ca.pem");
    expect(ann[`${A}/tls-secret`]).toBeUndefined();
    expect(injectorAnnotations({ ...args, tls: { caCertSecret: "s", caCertKey: "bundle.pem" } })[`${A}/ca-cert`]).toBe(
      "/vault/tls/bundle.pem",
    );
    const base = vaultConfigSchema.parse(stackConfig("staging").ca);
    expect(
      authAndTlsProblems({ ...base, agentTls: { caCertSecret: "s", caCertKey: "ca.crt", caCertPath: "/x" } }).map(
        (p) => p.path,
      ),
    ).toEqual([["agentTls", "caCertPath"]]);
    // Plain http: nothing to verify.
    expect(authAndTlsProblems({ ...base, address: "http://vault:8200", caCertFile: "/x" })).toEqual([]);
  });
});

describe("the injector this stack installs fails closed, for istiod only", () => {
  it("Fail, and its webhook selectors match the pods of Istio's real istiod chart (every revision) and nothing else", () => {
    const values = injectorChartValues("https://vault:8200", "istio-system") as any;
    expect(values.injector.webhook.failurePolicy).toBe("Fail");
    expect(values.injector.failurePolicy).toBe("Fail");
    const { namespaceSelector, objectSelector } = values.injector.webhook;
    for (const revision of ["", "canary"]) {
      const objects = parseManifests(renderChart(istiodChartDir(), "istiod", "istio-system", { revision }));
      const pod = find(objects, "Deployment", revision ? `istiod-${revision}` : "istiod").spec.template.metadata.labels;
      expect(selects(objectSelector, pod)).toBe(true);
    }
    // The namespace label the API server sets on every namespace.
    expect(selects(namespaceSelector, { "kubernetes.io/metadata.name": "istio-system" })).toBe(true);
    expect(selects(namespaceSelector, { "kubernetes.io/metadata.name": "kube-system" })).toBe(false);
    expect(selects(objectSelector, { app: "httpbin" })).toBe(false);
  }, 600_000);
});

describe("injector that the stack does not install", () => {
  it("warns that the existing webhook must fail closed for istiod", async () => {
    const r = await run((ca) => {
      ca.injector.install = false;
    });
    expect(r.error).toBeUndefined();
    expect(r.warnings.join("\n")).toMatch(
      /injector\.install is false: .*failurePolicy Ignore.*istiod silently starts its own self-signed CA/,
    );
    expect(r.resources.find((x) => x.name === "staging-ca-injector")).toBeUndefined();
  }, 180_000);
});

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { joinPems } from "../../components/ca/contract";
import { expiryFindings } from "../../components/ca/lifecycle/guards";
import { ExpirySettings } from "../../components/ca/lifecycle/settings";
import {
  MaterialCheck,
  PathCert,
  SuppliedKey,
  checkSuppliedMaterial,
  splitPemCerts,
  subjectOf,
} from "../../components/ca/pem";
import { ProvidedCa, ProvidedClusterMaterial, ProvidedRoots } from "../../components/ca/provided";
import { ConfigIssue } from "../atoms";
import { conforms } from "../conforms";
import { expirySchema } from "../lifecycle";
import { CA_CONFIG_KEY, StackView, defineAdapter, noLifecycle } from "./adapter";

/**
 * `backend: provided` — the team's own PEMs (Istio's Makefile.selfsigned.mk output, or a corporate
 * PKI's intermediate). Every PEM is checked while the config is validated, before any resource
 * exists; messages name the `pulumi config set` command that fixes them. See docs/provided.md.
 */

/** The commands that set a cluster's material, as the messages print them. */
export function setCommands(cluster: string): string {
  return (
    `pulumi config set --path '${CA_CONFIG_KEY}.clusters.${cluster}.caCertPem' < ${cluster}/ca-cert.pem && ` +
    `pulumi config set --secret --path '${CA_CONFIG_KEY}.clusters.${cluster}.caKeyPem' < ${cluster}/ca-key.pem`
  );
}
const ROOT_COMMAND = `pulumi config set --path '${CA_CONFIG_KEY}.rootCertPem' < root-cert.pem`;

const clusterMaterialSchema = conforms<ProvidedClusterMaterial>()(
  z.strictObject({
    /** `ca-cert.pem`: the intermediate istiod signs workload certificates with. */
    caCertPem: z.string().optional(),
    /** `ca-key.pem`: its key. Secret config only (`pulumi config set --secret --path`); plain config is refused. */
    caKeyPem: z.string().optional(),
    /** `cert-chain.pem`: caCertPem, then each issuer up to the root. Default: caCertPem + the root that signed it. */
    certChainPem: z.string().optional(),
  }),
);

export const providedConfigSchema = z
  .strictObject({
    backend: z.literal("provided"),
    /** `root-cert.pem`: every trusted root, concatenated (old + new during a root rotation). */
    rootCertPem: z.string().optional(),
    /** Per cluster (`istio-mesh-ca:clusters[].name`): that cluster's intermediate, key and chain. */
    clusters: z.record(z.string(), clusterMaterialSchema).default({}),
    /**
     * Expiry guards, as for the generated backends: warn within warnDays, refuse within errorDays unless acknowledged.
     */
    expiry: expirySchema,
  })
  .superRefine((cfg, ctx) => {
    for (const p of providedIssues(cfg, new Date()).issues) ctx.addIssue({ code: "custom", ...p });
  });
export type ProvidedConfig = z.infer<typeof providedConfigSchema>;

type Issue = ConfigIssue;

/** The results of checking every cluster's material: config issues, expiry warnings, verified paths. */
export interface ProvidedCheck {
  readonly issues: Issue[];
  readonly warnings: string[];
  readonly checks: Record<string, MaterialCheck>;
}

const NOT_SHOWN = "(private key, not shown)";

/**
 * Pure: every problem of the `provided` config, paths relative to `istio-mesh-ca:ca`. Missing values
 * name the command that sets them; PEM problems name the certificate, never the key.
 */
export function providedIssues(
  cfg: Pick<ProvidedConfig, "rootCertPem" | "clusters" | "expiry">,
  now: Date,
): ProvidedCheck {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const push = (i: Issue) => {
    const id = `${i.path.join(".")}\0${i.message}`;
    if (!seen.has(id)) issues.push(i);
    seen.add(id);
  };
  if (cfg.rootCertPem === undefined) {
    push({
      path: ["rootCertPem"],
      input: undefined,
      message: `required: the trusted root certificate(s) as PEM (root-cert.pem; old and new concatenated during a root rotation). Set it with: ${ROOT_COMMAND} (docs/provided.md)`,
    });
  }
  const checks: Record<string, MaterialCheck> = {};
  for (const [cluster, m] of Object.entries(cfg.clusters)) {
    if (m.caCertPem === undefined) {
      push({
        path: ["clusters", cluster, "caCertPem"],
        input: undefined,
        message: `required: the intermediate (ca-cert.pem) of cluster ${cluster}. Set it with: pulumi config set --path '${CA_CONFIG_KEY}.clusters.${cluster}.caCertPem' < ${cluster}/ca-cert.pem`,
      });
    }
    if (m.caKeyPem === undefined) {
      push({
        path: ["clusters", cluster, "caKeyPem"],
        input: undefined,
        message: `required: the intermediate's private key (ca-key.pem) of cluster ${cluster}, as secret config. Set it with: pulumi config set --secret --path '${CA_CONFIG_KEY}.clusters.${cluster}.caKeyPem' < ${cluster}/ca-key.pem`,
      });
    }
    if (cfg.rootCertPem === undefined || m.caCertPem === undefined || m.caKeyPem === undefined) continue;
    const check = checkSuppliedMaterial(
      { rootCertPem: cfg.rootCertPem, caCertPem: m.caCertPem, caKeyPem: m.caKeyPem, certChainPem: m.certChainPem },
      now,
    );
    checks[cluster] = check;
    for (const p of check.problems)
      push({ path: pathOf(cluster, p.key), input: inputOf(p.key, m, cfg.rootCertPem), message: p.message });
  }
  const warnings = cfg.rootCertPem === undefined ? [] : expiryIssues(cfg.rootCertPem, checks, cfg.expiry, now, push);
  return { issues, warnings, checks };
}

function pathOf(cluster: string, key: SuppliedKey): (string | number)[] {
  return key === "rootCertPem" ? ["rootCertPem"] : ["clusters", cluster, key];
}

/** What a message shows as the bad value: a certificate's subject, never a key. */
function inputOf(key: SuppliedKey, m: ProvidedClusterMaterial, rootCertPem: string): string {
  if (key === "caKeyPem") return NOT_SHOWN;
  const pem = key === "rootCertPem" ? rootCertPem : key === "caCertPem" ? m.caCertPem : m.certChainPem;
  const pems = splitPemCerts(pem ?? "");
  if (pems.length === 0) return /PRIVATE KEY/.test(pem ?? "") ? NOT_SHOWN : "(no PEM certificate)";
  try {
    return pems.map((p) => subjectOf(new crypto.X509Certificate(p))).join(" + ");
  } catch {
    return "(unparseable PEM)";
  }
}

/**
 * The lifecycle's expiry guard (warnDays/errorDays/acknowledge) over the certificates in use: each
 * cluster's intermediate and chain, and the roots. A root no cluster chains to during a root rotation
 * is on its way in or out: its expiry only warns. Errors are pushed as issues; warnings returned.
 */
function expiryIssues(
  rootCertPem: string,
  checks: Record<string, MaterialCheck>,
  expiry: ExpirySettings,
  now: Date,
  push: (i: Issue) => void,
): string[] {
  const warnings: string[] = [];
  const anchors = new Set(Object.values(checks).flatMap((c) => (c.anchor ? [c.anchor.fingerprint256] : [])));
  const rootPems = splitPemCerts(rootCertPem);
  const run = (role: string, pem: string, path: (string | number)[], retiring = false) => {
    const f = expiryFindings([{ role, pem, retiring }], expiry, now);
    warnings.push(...f.warnings);
    for (const e of f.errors) push({ path, message: e, input: subjectOf(new crypto.X509Certificate(pem)) });
  };
  for (const pem of rootPems) {
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(pem);
    } catch {
      continue;
    }
    if (Date.parse(cert.validTo) < now.getTime()) continue; // already refused by the PEM checks
    run("root", pem, ["rootCertPem"], rootPems.length > 1 && !anchors.has(cert.fingerprint256));
  }
  for (const [cluster, c] of Object.entries(checks)) {
    for (const p of (c.path ?? []).filter((x: PathCert) => x.position !== "root")) {
      if (Date.parse(p.cert.validTo) < now.getTime()) continue;
      const role =
        p.position === "intermediate"
          ? `intermediate of cluster ${cluster}`
          : `chain certificate of cluster ${cluster}`;
      run(role, p.pem, ["clusters", cluster, p.position === "intermediate" ? "caCertPem" : "certChainPem"]);
    }
  }
  return [...new Set(warnings)];
}

/** Pure: the material must name exactly the stack's clusters (`istio-mesh-ca:clusters`). */
export function providedStackProblems(cfg: ProvidedConfig, stack: StackView): Issue[] {
  const problems: Issue[] = [];
  const names = stack.clusters.map((c) => c.name);
  for (const name of names) {
    if (!(name in cfg.clusters)) {
      problems.push({
        path: ["ca", "clusters", name],
        input: undefined,
        message: `no CA material for cluster ${JSON.stringify(name)} (listed in istio-mesh-ca:clusters); set it with: ${setCommands(name)} (docs/provided.md)`,
      });
    }
  }
  for (const name of Object.keys(cfg.clusters)) {
    if (!names.includes(name)) {
      problems.push({
        path: ["ca", "clusters", name],
        input: name,
        message: `material for a cluster this stack does not have; istio-mesh-ca:clusters lists ${names.map((n) => JSON.stringify(n)).join(", ")}: rename the entry or remove it (pulumi config rm --path '${CA_CONFIG_KEY}.clusters.${name}')`,
      });
    }
  }
  return problems;
}

export const providedAdapter = defineAdapter<"provided", ProvidedConfig, ProvidedRoots>({
  backend: "provided",
  schema: providedConfigSchema,
  validate: (config, stack) => providedStackProblems(config, stack),
  shared: (name, config, stack, opts) => {
    // Validation refused anything broken; run the same checks again for their warnings and paths.
    const { warnings, checks } = providedIssues(config, new Date());
    for (const w of warnings) void pulumi.log.warn(`${CA_CONFIG_KEY}.expiry: ${w}`);
    const rootCerts = splitPemCerts(config.rootCertPem ?? "");
    // What the last deployment exported, read by the stack program; without a reader the order check is off.
    if (!stack.previousDeployment) {
      void pulumi.log.warn(
        `${CA_CONFIG_KEY}: no previous deployment to compare with (the stack program gave no reader): the root rotation order is not checked`,
      );
    }
    const deployed = stack.previousDeployment?.(`${name}-provided-previous`, opts).clusters;
    return { rootCerts, rootCertBundle: joinPems(rootCerts), checks, deployed };
  },
  lifecycle: noLifecycle,
  create: (name, config, ctx, opts) =>
    new ProvidedCa(
      name,
      {
        roots: ctx.shared,
        clusterName: ctx.clusterName,
        material: config.clusters[ctx.clusterName] ?? {},
        where: {
          caCertPem: `${CA_CONFIG_KEY}.clusters.${ctx.clusterName}.caCertPem`,
          rootCertPem: `${CA_CONFIG_KEY}.rootCertPem`,
        },
      },
      opts,
    ),
});

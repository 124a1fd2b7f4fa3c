import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { StackConfigView, defineBackend } from "./backend";
import { CaBackend, CaDelivery, IstiodSettings, joinPems, noIstiodSettings } from "./contract";
import { ExpiryConfig, expirySchema } from "./lifecycle/config";
import { expiryFindings } from "./lifecycle/guards";
import { selfStackName, trustBundleAdditions, withIstiodAdditions } from "./lifecycle/offlineCa";
import { MaterialCheck, PathCert, SuppliedKey, checkSuppliedMaterial, describeCert, fingerprintOf, signingRoot, splitPemCerts, subjectOf } from "./pem";

/**
 * `provided` backend: the team brings its own CA material — the output of Istio's
 * `tools/certs/Makefile.selfsigned.mk` (`root-ca`, then `<cluster>-cacerts`), or an intermediate issued
 * by a corporate PKI whose root key never touches Pulumi — and this backend puts it into each cluster's
 * `cacerts` Secret. It creates no key and no certificate, so it needs no tls provider. Everything is
 * checked (components/ca/pem.ts) while the config is validated, before any resource exists.
 * See docs/provided.md.
 */

const KEY = "istio-mesh-ca:ca";

/** The commands that set a cluster's material, as the messages print them. */
export function setCommands(cluster: string): string {
  return `pulumi config set --path '${KEY}.clusters.${cluster}.caCertPem' < ${cluster}/ca-cert.pem && `
    + `pulumi config set --secret --path '${KEY}.clusters.${cluster}.caKeyPem' < ${cluster}/ca-key.pem`;
}
const ROOT_COMMAND = `pulumi config set --path '${KEY}.rootCertPem' < root-cert.pem`;

const clusterMaterialSchema = z.strictObject({
  /** `ca-cert.pem`: the intermediate istiod signs workload certificates with. */
  caCertPem: z.string().optional(),
  /** `ca-key.pem`: its key. Secret config only (`pulumi config set --secret --path`); plain config is refused. */
  caKeyPem: z.string().optional(),
  /** `cert-chain.pem`: caCertPem, then each issuer up to the root. Default: caCertPem + the root that signed it. */
  certChainPem: z.string().optional(),
});
export type ProvidedClusterMaterial = z.infer<typeof clusterMaterialSchema>;

export const providedConfigSchema = z.strictObject({
  backend: z.literal("provided"),
  /** `root-cert.pem`: every trusted root, concatenated (old + new during a root rotation). */
  rootCertPem: z.string().optional(),
  /** Per cluster (`istio-mesh-ca:clusters[].name`): that cluster's intermediate, key and chain. */
  clusters: z.record(z.string(), clusterMaterialSchema).default({}),
  /** Expiry guards, as for the generated backends: warn within warnDays, refuse within errorDays unless acknowledged. */
  expiry: expirySchema,
}).superRefine((cfg, ctx) => {
  for (const p of providedIssues(cfg, new Date()).issues) ctx.addIssue({ code: "custom", ...p });
});
export type ProvidedConfig = z.infer<typeof providedConfigSchema>;

interface Issue { path: (string | number)[]; message: string; input?: unknown }

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
export function providedIssues(cfg: Pick<ProvidedConfig, "rootCertPem" | "clusters" | "expiry">, now: Date): ProvidedCheck {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const push = (i: Issue) => {
    const id = `${i.path.join(".")}\0${i.message}`;
    if (!seen.has(id)) issues.push(i);
    seen.add(id);
  };
  if (cfg.rootCertPem === undefined) {
    push({ path: ["rootCertPem"], input: undefined,
      message: `required: the trusted root certificate(s) as PEM (root-cert.pem; old and new concatenated during a root rotation). Set it with: ${ROOT_COMMAND} (docs/provided.md)` });
  }
  const checks: Record<string, MaterialCheck> = {};
  for (const [cluster, m] of Object.entries(cfg.clusters)) {
    if (m.caCertPem === undefined) {
      push({ path: ["clusters", cluster, "caCertPem"], input: undefined,
        message: `required: the intermediate (ca-cert.pem) of cluster ${cluster}. Set it with: pulumi config set --path '${KEY}.clusters.${cluster}.caCertPem' < ${cluster}/ca-cert.pem` });
    }
    if (m.caKeyPem === undefined) {
      push({ path: ["clusters", cluster, "caKeyPem"], input: undefined,
        message: `required: the intermediate's private key (ca-key.pem) of cluster ${cluster}, as secret config. Set it with: pulumi config set --secret --path '${KEY}.clusters.${cluster}.caKeyPem' < ${cluster}/ca-key.pem` });
    }
    if (cfg.rootCertPem === undefined || m.caCertPem === undefined || m.caKeyPem === undefined) continue;
    const check = checkSuppliedMaterial({ rootCertPem: cfg.rootCertPem, caCertPem: m.caCertPem, caKeyPem: m.caKeyPem, certChainPem: m.certChainPem }, now);
    checks[cluster] = check;
    for (const p of check.problems) push({ path: pathOf(cluster, p.key), input: inputOf(p.key, m, cfg.rootCertPem), message: p.message });
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
function expiryIssues(rootCertPem: string, checks: Record<string, MaterialCheck>, expiry: ExpiryConfig, now: Date, push: (i: Issue) => void): string[] {
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
    try { cert = new crypto.X509Certificate(pem); } catch { continue; }
    if (Date.parse(cert.validTo) < now.getTime()) continue; // already refused by the PEM checks
    run("root", pem, ["rootCertPem"], rootPems.length > 1 && !anchors.has(cert.fingerprint256));
  }
  for (const [cluster, c] of Object.entries(checks)) {
    for (const p of (c.path ?? []).filter((x: PathCert) => x.position !== "root")) {
      if (Date.parse(p.cert.validTo) < now.getTime()) continue;
      const role = p.position === "intermediate" ? `intermediate of cluster ${cluster}` : `chain certificate of cluster ${cluster}`;
      run(role, p.pem, ["clusters", cluster, p.position === "intermediate" ? "caCertPem" : "certChainPem"]);
    }
  }
  return [...new Set(warnings)];
}

/** Pure: the material must name exactly the stack's clusters (`istio-mesh-ca:clusters`). */
export function providedStackProblems(cfg: ProvidedConfig, stack: StackConfigView): Issue[] {
  const problems: Issue[] = [];
  const names = stack.clusters.map((c) => c.name);
  for (const name of names) {
    if (!(name in cfg.clusters)) {
      problems.push({ path: ["ca", "clusters", name], input: undefined,
        message: `no CA material for cluster ${JSON.stringify(name)} (listed in istio-mesh-ca:clusters); set it with: ${setCommands(name)} (docs/provided.md)` });
    }
  }
  for (const name of Object.keys(cfg.clusters)) {
    if (!names.includes(name)) {
      problems.push({ path: ["ca", "clusters", name], input: name,
        message: `material for a cluster this stack does not have; istio-mesh-ca:clusters lists ${names.map((n) => JSON.stringify(n)).join(", ")}: rename the entry or remove it (pulumi config rm --path '${KEY}.clusters.${name}')` });
    }
  }
  return problems;
}

/** What the last deployment of this stack exported for a cluster (`clusters.<name>`). */
export interface DeployedMaterial { readonly rootCertBundle?: string; readonly intermediateCert?: string }

/**
 * Pure: whether going from the material deployed last time to the supplied material keeps every
 * workload's trust — the order of a root rotation, which config alone cannot show:
 * - a new intermediate must chain to a root the workloads already trust (deployed bundle): add the
 *   new root to rootCertPem first (dual), then switch intermediates (cutover);
 * - the root that signed the deployed intermediate must stay in the bundle: switch intermediates to
 *   the new root first (cutover), then drop the old root (finalize).
 * Returns why not, naming the step to apply first; undefined on the first deployment.
 */
export function deploymentOrderProblem(cluster: string, deployed: DeployedMaterial | undefined, rootCertPem: string, caCertPem: string): string | undefined {
  if (!deployed?.rootCertBundle || !deployed.intermediateCert) return undefined;
  const parse = (bundle: string) => splitPemCerts(bundle).map((p) => new crypto.X509Certificate(p));
  const [oldRoots, newRoots] = [parse(deployed.rootCertBundle), parse(rootCertPem)];
  const has = (set: crypto.X509Certificate[], c: crypto.X509Certificate) => set.some((x) => x.fingerprint256 === c.fingerprint256);
  const list = (set: crypto.X509Certificate[]) => set.map(describeCert).join(", ");
  const inter = new crypto.X509Certificate(caCertPem);
  const newAnchor = signingRoot(inter, newRoots);
  if (newAnchor && !has(oldRoots, newAnchor)) {
    return `${KEY}.clusters.${cluster}.caCertPem: the intermediate ${describeCert(inter)} chains to root ${describeCert(newAnchor)}, which the deployed trust bundle (${list(oldRoots)}) does not hold yet: workloads would reject every certificate it issues. Root rotation step 1 first: deploy rootCertPem with old and new root and the current intermediate, wait 24h (or restart workloads), then switch the intermediate (docs/rotation.md)`;
  }
  const oldInter = new crypto.X509Certificate(deployed.intermediateCert);
  const oldAnchor = signingRoot(oldInter, oldRoots);
  if (oldAnchor && !has(newRoots, oldAnchor)) {
    return `${KEY}.rootCertPem: drops root ${describeCert(oldAnchor)}, which signed the deployed intermediate ${describeCert(oldInter)} of cluster ${cluster}: workload certificates it issued would stop verifying. Root rotation step 2 first: keep both roots, deploy intermediates signed by the new root, wait 24h (or restart workloads), then drop the old root (docs/rotation.md)`;
  }
  return undefined;
}

/** The `clusters` output of this stack's last deployment, certificates only; undefined on the first one. */
function deployedMaterial(ref: pulumi.StackReference): pulumi.Output<Record<string, DeployedMaterial> | undefined> {
  // Certificates are public; `clusters` may be a secret output because of other values in it.
  return pulumi.unsecret(ref.outputs.apply((outputs) => {
    const clusters = (outputs as Record<string, unknown> | undefined)?.clusters as Record<string, Record<string, unknown>> | undefined;
    if (!clusters || typeof clusters !== "object") return undefined;
    return Object.fromEntries(Object.entries(clusters).map(([name, c]) => [name, {
      ...(typeof c?.rootCertBundle === "string" ? { rootCertBundle: c.rootCertBundle } : {}),
      ...(typeof c?.intermediateCert === "string" ? { intermediateCert: c.intermediateCert } : {}),
    }]));
  }));
}

/** What the backend's shared step holds: the checked roots and istiod's values for the bundle. */
export interface ProvidedRoots {
  readonly rootCerts: string[];
  readonly rootCertBundle: string;
  /** Verified paths per cluster (config validation already refused anything broken). */
  readonly checks: Record<string, MaterialCheck>;
  /** What the last deployment exported per cluster (read back through a StackReference to this stack). */
  readonly deployed: pulumi.Output<Record<string, DeployedMaterial> | undefined>;
}

export interface ProvidedCaArgs {
  readonly roots: ProvidedRoots;
  readonly clusterName: string;
  readonly material: ProvidedClusterMaterial;
}

/**
 * A cluster's CA from supplied PEMs, for the `cacerts` Secret. Two roots in the bundle (a root
 * rotation) make istiod trust both (`ISTIO_MULTIROOT_MESH`) and restart once per bundle change
 * (the lifecycle layer's `trustBundleAdditions`).
 */
export class ProvidedCa extends pulumi.ComponentResource implements CaBackend {
  public readonly backendName = "provided";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  public readonly stackOutputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: ProvidedCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:ProvidedCa", name, {}, opts);
    const check = args.roots.checks[args.clusterName];
    const m = args.material;
    if (!check?.certChainPem || !m.caCertPem || !m.caKeyPem) {
      throw new Error(`${KEY}.clusters.${args.clusterName}: no checked CA material for this cluster; set it with: ${setCommands(args.clusterName)}`);
    }
    // Every value waits for the deployment-order check: a refused step changes nothing.
    const ok = args.roots.deployed.apply((deployed) => {
      const why = deploymentOrderProblem(args.clusterName, deployed?.[args.clusterName], args.roots.rootCertBundle, m.caCertPem!);
      if (why) throw new Error(why);
      return true;
    });
    const gate = <T>(v: T) => ok.apply(() => v);
    const material = {
      rootCerts: gate(args.roots.rootCerts),
      rootCertBundle: gate(args.roots.rootCertBundle),
      intermediateCert: gate(splitPemCerts(m.caCertPem)[0]), // the certificate only, without any text around it
      // `pulumi config set` strips the trailing newline of piped files: give the PEM its newline back.
      intermediateKey: pulumi.secret(gate(m.caKeyPem.endsWith("\n") ? m.caKeyPem : `${m.caKeyPem}\n`)),
      certChain: gate(check.certChainPem),
    };
    const multiRoot = args.roots.rootCerts.length > 1;
    this.delivery = { kind: "cacerts", material };
    this.istiodSettings = withIstiodAdditions(noIstiodSettings(), material.rootCertBundle.apply((bundle) => trustBundleAdditions(bundle, multiRoot)));
    this.stackOutputs = {
      /** The verified path, intermediate first: public facts only (subjects, fingerprints, validity, path length). */
      chain: (check.path ?? []).map((p) => ({
        position: p.position,
        subject: subjectOf(p.cert),
        issuer: p.cert.issuer.split("\n").filter(Boolean).join(", "),
        fingerprintSha256: fingerprintOf(p.cert),
        notAfter: new Date(p.cert.validTo).toISOString(),
        ...(p.pathLenConstraint !== undefined ? { pathLenConstraint: p.pathLenConstraint } : {}),
      })),
      rootCount: args.roots.rootCerts.length,
    };
    this.registerOutputs({ rootCertBundle: material.rootCertBundle, certChain: material.certChain });
  }
}

export const providedBackend = defineBackend<ProvidedConfig, ProvidedRoots>({
  schema: providedConfigSchema,
  validate: (config, stack) => providedStackProblems(config, stack),
  shared: (name, config, opts) => {
    // Validation refused anything broken; run the same checks again for their warnings and paths.
    const { warnings, checks } = providedIssues(config, new Date());
    for (const w of warnings) void pulumi.log.warn(`${KEY}.expiry: ${w}`);
    const rootCerts = splitPemCerts(config.rootCertPem ?? "");
    const previous = new pulumi.StackReference(`${name}-provided-previous`, { name: selfStackName() }, opts);
    return { rootCerts, rootCertBundle: joinPems(rootCerts), checks, deployed: deployedMaterial(previous) };
  },
  create: (name, config, ctx, opts) => new ProvidedCa(name, {
    roots: ctx.shared,
    clusterName: ctx.clusterName,
    material: config.clusters[ctx.clusterName] ?? {},
  }, opts),
});

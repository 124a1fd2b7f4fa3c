import { X509Certificate } from "crypto";
import { splitPemCerts } from "../../components/ca/pem";
import type { ConfigMap, Deployment, DeploymentStatus, Namespace, Pod, Secret } from "./kubeTypes";
import { ClusterTarget } from "./layout";

/**
 * The gates: evidence, read from each cluster's API server, that a rotation step took effect and
 * that the next one is safe. Pure evaluation of Kubernetes objects (as `kubectl get -o json` returns
 * them) against the expected material; reading them is kube.ts's job.
 */

export type GateName = "cacerts" | "istiod-rollout" | "istio-ca-root-cert" | "workload-leaves";

export interface GateResult {
  readonly gate: GateName;
  readonly stack: string;
  readonly cluster: string;
  readonly holds: boolean;
  /** Set when the gate could not be checked and says why (never counted as holding evidence). */
  readonly notChecked?: string;
  /** What was found, or exactly what is missing. */
  readonly detail: string;
}

/** A certificate as messages name it. */
export interface CertId {
  readonly fingerprint: string;
  readonly subject: string;
}

/** What a cluster must hold after a step: the trusted roots and its intermediate. */
export interface ExpectedMaterial {
  readonly roots: readonly CertId[];
  /** Undefined when the stack does not export it (the gate then checks the roots only). */
  readonly intermediate?: CertId;
}

export const certId = (pem: string): CertId => {
  const c = new X509Certificate(pem);
  return { fingerprint: c.fingerprint256, subject: c.subject.split("\n").join(", ") };
};

/** The certificates of a PEM bundle (unparseable text yields none). */
export function bundleIds(bundle: string | undefined): CertId[] {
  if (!bundle) return [];
  const out: CertId[] = [];
  for (const pem of splitPemCerts(bundle)) {
    try {
      out.push(certId(pem));
    } catch {
      /* not a certificate: reported as a mismatch by the caller */
    }
  }
  return out;
}

export const describeIds = (ids: readonly CertId[]): string =>
  ids.length === 0 ? "no certificate" : ids.map((i) => `"${i.subject}" (SHA-256 ${i.fingerprint})`).join(", ");

/** Set comparison of certificates: what is missing from `found`, what is there but not expected. */
export function compareIds(
  found: readonly CertId[],
  expected: readonly CertId[],
): { missing: CertId[]; unexpected: CertId[] } {
  const fp = (xs: readonly CertId[]) => new Set(xs.map((x) => x.fingerprint));
  const f = fp(found);
  const e = fp(expected);
  return {
    missing: expected.filter((x) => !f.has(x.fingerprint)),
    unexpected: found.filter((x) => !e.has(x.fingerprint)),
  };
}

const decode = (secret: Secret, key: string): string | undefined => {
  const v = secret?.data?.[key];
  return typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : undefined;
};

const result = (t: ClusterTarget, gate: GateName, holds: boolean, detail: string, notChecked?: string): GateResult => ({
  gate,
  stack: t.stack,
  cluster: t.cluster,
  holds,
  detail,
  ...(notChecked ? { notChecked } : {}),
});

/** `cacerts` holds exactly the expected roots in `root-cert.pem` and the expected intermediate in `ca-cert.pem`. */
export function cacertsGate(t: ClusterTarget, secret: Secret | undefined, expected: ExpectedMaterial): GateResult {
  const where = `Secret ${t.istioNamespace}/cacerts`;
  if (!secret) return result(t, "cacerts", false, `cluster ${t.cluster}: ${where} does not exist`);
  const problems: string[] = [];
  const roots = compareIds(bundleIds(decode(secret, "root-cert.pem")), expected.roots);
  if (roots.missing.length > 0) problems.push(`root-cert.pem lacks ${describeIds(roots.missing)}`);
  if (roots.unexpected.length > 0) problems.push(`root-cert.pem still holds ${describeIds(roots.unexpected)}`);
  if (expected.intermediate) {
    const inter = bundleIds(decode(secret, "ca-cert.pem"));
    if (inter.length !== 1 || inter[0].fingerprint !== expected.intermediate.fingerprint) {
      problems.push(`ca-cert.pem holds ${describeIds(inter)}, expected ${describeIds([expected.intermediate])}`);
    }
  }
  if (problems.length > 0) return result(t, "cacerts", false, `cluster ${t.cluster}: ${where}: ${problems.join("; ")}`);
  return result(
    t,
    "cacerts",
    true,
    `cluster ${t.cluster}: ${where} holds ${expected.roots.length} root(s)${expected.intermediate ? " and the expected intermediate" : ""}`,
  );
}

/** istiod's Deployment name for a revision (the chart's naming). */
export const istiodName = (revision?: string): string => (revision ? `istiod-${revision}` : "istiod");

/**
 * istiod's Deployment has rolled out its current template (what `kubectl rollout status` checks:
 * observedGeneration caught up, every replica updated and available, none left of the old one).
 * With `istio.skipAwait` the stack itself does not wait for Deployments: the gate says so and is not
 * taken as evidence.
 */
export function rolloutGate(t: ClusterTarget, deployment: Deployment | undefined): GateResult {
  const name = `Deployment ${t.istioNamespace}/${istiodName(t.revision)}`;
  if (t.skipAwait) {
    return result(
      t,
      "istiod-rollout",
      true,
      `cluster ${t.cluster}: ${name} rollout not checked: stack ${t.stack} sets istio.skipAwait (no rollout evidence from the Deployment status; istio-ca-root-cert stands as the evidence that istiod loaded the trust)`,
      "istio.skipAwait",
    );
  }
  if (!deployment) return result(t, "istiod-rollout", false, `cluster ${t.cluster}: ${name} does not exist`);
  const want = deployment.spec?.replicas ?? 1;
  const st: DeploymentStatus = deployment.status ?? {};
  const gen = deployment.metadata?.generation ?? 0;
  const problems: string[] = [];
  if ((st.observedGeneration ?? 0) < gen)
    problems.push(
      `observedGeneration ${st.observedGeneration ?? 0} < generation ${gen} (the controller has not seen the new template)`,
    );
  if ((st.updatedReplicas ?? 0) < want) problems.push(`${st.updatedReplicas ?? 0}/${want} replicas updated`);
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0))
    problems.push(`${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replica(s) still running`);
  if ((st.availableReplicas ?? 0) < want) problems.push(`${st.availableReplicas ?? 0}/${want} replicas available`);
  if (problems.length > 0)
    return result(
      t,
      "istiod-rollout",
      false,
      `cluster ${t.cluster}: ${name} has not rolled out: ${problems.join(", ")}`,
    );
  return result(
    t,
    "istiod-rollout",
    true,
    `cluster ${t.cluster}: ${name} rolled out (generation ${gen}, ${want} replica(s) updated and available)`,
  );
}

/** Namespaces whose pods get a sidecar: `istio-injection=enabled`, or `istio.io/rev=<revision>`. */
export function injectedNamespaces(t: ClusterTarget, namespaces: readonly Namespace[]): string[] {
  return namespaces
    .filter((ns) => {
      const l = ns.metadata?.labels ?? {};
      return t.revision
        ? l["istio.io/rev"] === t.revision && l["istio-injection"] === undefined
        : l["istio-injection"] === "enabled" && l["istio.io/rev"] === undefined;
    })
    .map((ns) => String(ns.metadata!.name))
    .sort();
}

/**
 * `istio-ca-root-cert` (written by istiod, from the roots it loaded) holds exactly the expected roots
 * in every injection-enabled namespace and in istiod's own namespace (istiod writes it there too).
 */
export function rootCertGate(
  t: ClusterTarget,
  namespaces: readonly string[],
  configMaps: Record<string, ConfigMap | undefined>,
  expected: readonly CertId[],
): GateResult {
  const problems: string[] = [];
  for (const ns of namespaces) {
    const cm = configMaps[ns];
    if (!cm) {
      problems.push(`${ns}: no ConfigMap istio-ca-root-cert`);
      continue;
    }
    const { missing, unexpected } = compareIds(bundleIds(cm.data?.["root-cert.pem"]), expected);
    if (missing.length > 0) problems.push(`${ns}: lacks ${describeIds(missing)}`);
    if (unexpected.length > 0) problems.push(`${ns}: still holds ${describeIds(unexpected)}`);
  }
  if (problems.length > 0)
    return result(
      t,
      "istio-ca-root-cert",
      false,
      `cluster ${t.cluster}: istio-ca-root-cert is not what istiod should publish (is istiod running the new trust?): ${problems.join("; ")}`,
    );
  return result(
    t,
    "istio-ca-root-cert",
    true,
    `cluster ${t.cluster}: istio-ca-root-cert holds exactly the ${expected.length} expected root(s) in ${namespaces.join(", ")}`,
  );
}

/** When `cacerts` was last written (its newest managedFields entry): the cluster's cutover time before finalize. */
export function lastWritten(secret: Secret | undefined): Date | undefined {
  const times = (secret?.metadata?.managedFields ?? [])
    .map((m) => Date.parse(m.time ?? ""))
    .filter((n) => Number.isFinite(n));
  return times.length > 0 ? new Date(Math.max(...times)) : undefined;
}

export const formatDuration = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m > 0 ? ` ${m}m` : ""}` : m > 0 ? `${m}m${s % 60 > 0 ? ` ${s % 60}s` : ""}` : `${s}s`;
};

/**
 * Before finalize (the old root leaves the trust bundle): every workload must hold a leaf under the
 * new root. It holds when the workload certificate TTL has passed since the cutover was written to
 * `cacerts`, or when every pod in the injection-enabled namespaces started after it (a new pod asks
 * istiod for a new leaf). Deployments listed in `restartDeployments` are reported by name.
 */
export function workloadLeavesGate(
  t: ClusterTarget,
  o: { cutoverAt?: Date; now: Date; ttlMs: number; pods: readonly Pod[]; namespaces: readonly string[] },
): GateResult {
  if (!o.cutoverAt)
    return result(
      t,
      "workload-leaves",
      false,
      `cluster ${t.cluster}: cannot tell when the cutover reached Secret ${t.istioNamespace}/cacerts (no managedFields time)`,
    );
  const since = o.now.getTime() - o.cutoverAt.getTime();
  const at = `cutover written to cacerts at ${o.cutoverAt.toISOString()}`;
  if (since >= o.ttlMs)
    return result(
      t,
      "workload-leaves",
      true,
      `cluster ${t.cluster}: the workload certificate TTL (${formatDuration(o.ttlMs)}) has passed since the ${at}`,
    );
  const older = o.pods.filter(
    (p) =>
      p.metadata?.namespace !== undefined &&
      o.namespaces.includes(p.metadata.namespace) &&
      Date.parse(p.metadata.creationTimestamp ?? "") <= o.cutoverAt!.getTime() &&
      !p.metadata.deletionTimestamp,
  );
  const listed = t.restartDeployments.map((d) => `${d.namespace}/${d.name}`);
  const holdsAt = new Date(o.cutoverAt.getTime() + o.ttlMs).toISOString();
  if (older.length === 0) {
    return result(
      t,
      "workload-leaves",
      true,
      `cluster ${t.cluster}: every pod in the injection-enabled namespaces (${o.namespaces.join(", ") || "none"}) started after the ${at}${listed.length ? ` (restartDeployments: ${listed.join(", ")})` : ""}`,
    );
  }
  const names = older.slice(0, 10).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
  return result(
    t,
    "workload-leaves",
    false,
    `cluster ${t.cluster}: ${older.length} pod(s) started before the ${at} may still hold a leaf under the old root: ${names.join(", ")}${older.length > 10 ? ", …" : ""}; ` +
      `restart them${listed.length ? ` (restartDeployments restarts ${listed.join(", ")} on each material change)` : ""} or wait until ${holdsAt} (TTL ${formatDuration(o.ttlMs)})`,
  );
}

/** The risk `--force` takes, printed before finalize runs without the workload gate. */
export const FORCE_RISK =
  "--force: finalize removes the old root from every trust bundle now. A workload whose leaf still chains to the old root " +
  "(issued before the cutover, not yet renewed) will fail mTLS with every peer that has dropped the old root, until its sidecar gets a new leaf " +
  "(restart it, or wait for its renewal). Roll back with rootPhase cutover if traffic fails.";

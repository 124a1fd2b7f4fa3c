import { X509Certificate } from "crypto";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { phasePlan, ROOT_PHASES, RootPhase } from "../../components/ca/lifecycle/phases";
import { splitPemCerts } from "../../components/ca/pem";
import type { PodTemplateSpec } from "./kubeTypes";
import { Position, describePosition } from "./model";
import {
  PreviewDigest,
  PreviewState,
  PreviewStep,
  changingSteps,
  isCacerts,
  isIstiodChartConfig,
  isIstiodDeployment,
  stepType,
  urnName,
} from "./previewModel";

/**
 * The CA-aware summary of one or more `pulumi preview --json` results, as Markdown for a pull
 * request: per cluster, which CA certificates are created, replaced or deleted (subject, SHA-256
 * fingerprint, not-after), the trust bundle before → after, whether istiod restarts and why, which
 * workloads are restarted; expiry warnings and policy violations. Pure.
 */

export interface SummaryInput {
  readonly stack: string;
  readonly digest: PreviewDigest;
}

/**
 * Current plain outputs of the stacks the previewed ones reference (a cluster stack's root stack), by fully qualified
 * name.
 */
export type References = Record<string, Record<string, unknown> | undefined>;

const NS = "istio-mesh-ca";
const CERT_TYPES = new Set([
  "tls:index/selfSignedCert:SelfSignedCert",
  "tls:index/locallySignedCert:LocallySignedCert",
]);

interface CertFact {
  readonly op: "create" | "delete" | "replace";
  readonly role: string;
  readonly cluster?: string;
  readonly subject: string;
  readonly fingerprint?: string;
  readonly notAfter?: string;
  /** For created certificates: not-after is validity from the time of apply. */
  readonly approximate?: boolean;
  readonly urn: string;
}

/** A config value as `pulumi preview --json` gives it (JSON text for objects), parsed; text that is not JSON as is. */
const parseJson = (s: string | undefined): unknown => {
  try {
    return s === undefined ? undefined : JSON.parse(s);
  } catch {
    return s;
  }
};
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** `O=Istio, CN=Root CA` from a tls provider subject input, in the order X509 prints it. */
function subjectFromInputs(s: Record<string, unknown>): string {
  const order: [string, string][] = [
    ["country", "C"],
    ["province", "ST"],
    ["locality", "L"],
    ["organization", "O"],
    ["organizationalUnit", "OU"],
    ["commonName", "CN"],
  ];
  return order
    .filter(([k]) => s[k])
    .map(([k, a]) => `${a}=${s[k]}`)
    .join(", ");
}

const certOf = (pem: unknown): X509Certificate | undefined => {
  try {
    return typeof pem === "string" && pem ? new X509Certificate(pem) : undefined;
  } catch {
    return undefined;
  }
};
const subj = (c: X509Certificate) => c.subject.split("\n").join(", ");

/** Which cluster a step concerns: its Kubernetes provider (`<cluster>-k8s`), a certificate's L=, or its name prefix. */
function clusterOf(step: PreviewStep, clusters: readonly string[], subject?: string): string | undefined {
  const prov = step.provider ?? step.newState?.provider ?? step.oldState?.provider;
  const pm = prov ? /::pulumi:providers:kubernetes::([^:]+)-k8s::/.exec(prov) : null;
  if (pm && clusters.includes(pm[1])) return pm[1];
  const l = subject ? /(?:^|, )L=([^,]+)/.exec(subject) : null;
  if (l && clusters.includes(l[1])) return l[1];
  const name = urnName(step.urn);
  return [...clusters].sort((a, b) => b.length - a.length).find((c) => name.startsWith(`${c}-`));
}

function certFacts(steps: readonly PreviewStep[], clusters: readonly string[], now: Date): CertFact[] {
  const out: CertFact[] = [];
  for (const s of steps) {
    if (!CERT_TYPES.has(stepType(s))) continue;
    const root = stepType(s) === "tls:index/selfSignedCert:SelfSignedCert";
    const op =
      s.op === "create" || s.op === "create-replacement"
        ? "create"
        : s.op === "delete" || s.op === "delete-replaced"
          ? "delete"
          : s.op === "replace"
            ? "replace"
            : undefined;
    if (!op) continue;
    if (op !== "create") {
      const c = certOf(s.oldState?.outputs?.certPem);
      const subject = c ? subj(c) : subjectFromInputs(obj(s.oldState?.inputs?.subject));
      const cluster = root ? undefined : clusterOf(s, clusters, subject);
      out.push({
        op,
        role: root ? "root" : `intermediate${cluster ? ` of ${cluster}` : ""}`,
        ...(cluster ? { cluster } : {}),
        subject,
        ...(c ? { fingerprint: c.fingerprint256, notAfter: new Date(c.validTo).toISOString() } : {}),
        urn: s.urn,
      });
    }
    if (op !== "delete") {
      const inputs = obj(s.newState?.inputs);
      // A locally signed certificate takes its subject from its CSR (`<name>-csr` beside `<name>-cert`).
      const csr = root
        ? undefined
        : steps.find(
            (x) =>
              stepType(x) === "tls:index/certRequest:CertRequest" &&
              urnName(x.urn) === urnName(s.urn).replace(/-cert$/, "-csr"),
          );
      const subject = subjectFromInputs(obj(root ? inputs.subject : csr?.newState?.inputs?.subject));
      const cluster = root ? undefined : clusterOf(s, clusters, subject);
      const hours = Number(inputs.validityPeriodHours);
      out.push({
        op: "create",
        role: root ? "root" : `intermediate${cluster ? ` of ${cluster}` : ""}`,
        ...(cluster ? { cluster } : {}),
        subject,
        ...(Number.isFinite(hours)
          ? { notAfter: new Date(now.getTime() + hours * 3600e3).toISOString().slice(0, 10), approximate: true }
          : {}),
        urn: s.urn,
      });
    }
  }
  return out;
}

/** A certificate in a trust bundle, as the summary prints it. */
interface BundleCert {
  readonly subject: string;
  readonly fingerprint?: string;
  readonly notAfter?: string;
  readonly note?: string;
}

const bundleOf = (pem: string | undefined): BundleCert[] =>
  splitPemCerts(pem ?? "").flatMap((p) => {
    const c = certOf(p);
    return c ? [{ subject: subj(c), fingerprint: c.fingerprint256, notAfter: new Date(c.validTo).toISOString() }] : [];
  });

const describeBundle = (b: readonly BundleCert[]): string =>
  b.length === 0
    ? "(unknown)"
    : b
        .map(
          (c) =>
            `${c.subject}${c.fingerprint ? ` \`${c.fingerprint.slice(0, 23)}…\`` : ""}${c.note ? ` (${c.note})` : ""}`,
        )
        .join(" + ");

const sameBundle = (a: readonly BundleCert[], b: readonly BundleCert[]) =>
  a.length === b.length && a.every((x, i) => x.fingerprint !== undefined && x.fingerprint === b[i].fingerprint);

const isRootPhase = (v: unknown): v is RootPhase => (ROOT_PHASES as readonly unknown[]).includes(v);

function parsePosition(v: unknown): Position | undefined {
  const r = obj(v);
  if (!isRootPhase(r.rootPhase)) return undefined;
  return {
    rootPhase: r.rootPhase,
    rootGeneration: Number(r.rootGeneration) || 1,
    intermediateGeneration: Number(r.intermediateGeneration) || 1,
  };
}

/** The lifecycle position the previewed config asks for (stacks that own the root). */
function configPosition(config: Record<string, string> | undefined, key: string): Position | undefined {
  const cfg = parseJson(config?.[key]);
  if (cfg === undefined) return undefined;
  const r = obj(obj(cfg).rotation);
  return parsePosition({
    rootPhase: r.rootPhase ?? "steady",
    rootGeneration: r.rootGeneration ?? 1,
    intermediateGeneration: r.intermediateGeneration ?? 1,
  });
}

/**
 * The bundle after the update, for a stack that owns the root: the roots of the new phase, taken
 * from the old bundle by generation, or from a root certificate this update creates.
 */
function predictBundle(
  before: readonly BundleCert[],
  from: Position | undefined,
  to: Position | undefined,
  created: readonly CertFact[],
): BundleCert[] | undefined {
  if (!from || !to) return undefined;
  const byGen = new Map<number, BundleCert>();
  phasePlan(from.rootPhase).trusted.forEach((t, i) => {
    if (before[i]) byGen.set(t === "current" ? from.rootGeneration : from.rootGeneration + 1, before[i]);
  });
  const newRoot = created.find((c) => c.op === "create" && c.role === "root");
  if (newRoot)
    byGen.set(to.rootGeneration + (to.rootPhase === "steady" ? 0 : 1), {
      subject: newRoot.subject,
      note: "issued at apply",
    });
  const gens = phasePlan(to.rootPhase).trusted.map((t) =>
    t === "current" ? to.rootGeneration : to.rootGeneration + 1,
  );
  if (!gens.every((g) => byGen.has(g))) return undefined;
  return gens.map((g) => byGen.get(g)!);
}

/** Why istiod's Deployment changes: the env and pod annotations the CA lifecycle owns, then anything else. */
function istiodWhy(s: PreviewStep): string[] {
  const why: string[] = [];
  // A Deployment's inputs are the Deployment object: its pod template.
  const tpl = (st: PreviewState | undefined) => obj(obj(obj(st?.inputs).spec).template) as PodTemplateSpec;
  const [o, n] = [tpl(s.oldState), tpl(s.newState)];
  const env = (t: PodTemplateSpec) =>
    Object.fromEntries(
      (t.spec?.containers ?? []).flatMap((c) => (c.env ?? []).map((e) => [`${c.name}:${e.name}`, e.value])),
    );
  const [oe, ne] = [env(o), env(n)];
  for (const k of new Set([...Object.keys(oe), ...Object.keys(ne)])) {
    if (oe[k] === ne[k]) continue;
    const name = k.split(":")[1];
    why.push(
      !(k in oe)
        ? `env ${name}=${ne[k]} added`
        : !(k in ne)
          ? `env ${name} removed`
          : `env ${name} ${oe[k]} → ${ne[k]}`,
    );
  }
  const ann = (t: PodTemplateSpec) => obj(obj(t.metadata).annotations);
  const [oa, na] = [ann(o), ann(n)];
  for (const k of new Set([...Object.keys(oa), ...Object.keys(na)])) {
    if (oa[k] === na[k]) continue;
    const short = (v: unknown) => (typeof v === "string" && v.length > 16 ? `${v.slice(0, 12)}…` : String(v));
    why.push(
      !(k in oa)
        ? `pod annotation ${k} added (${short(na[k])})`
        : !(k in na)
          ? `pod annotation ${k} removed`
          : `pod annotation ${k} ${short(oa[k])} → ${short(na[k])}`,
    );
  }
  if (why.length === 0) why.push(...(s.diffReasons ?? Object.keys(s.detailedDiff ?? {})).map((d) => `${d} changes`));
  return why;
}

const md = (s: string) => s.replace(/\|/g, "\\|");

/**
 * An entry of `istio-mesh-ca:rootCa.clusters` or `istio-mesh-ca:clusters` (config/schema.ts); only its name is read.
 */
interface ClusterEntry {
  readonly name?: unknown;
}

/** One stack's section. */
function stackSection(input: SummaryInput, refs: References, now: Date): string[] {
  const d = input.digest;
  const steps = d.steps ?? [];
  const stackStep = steps.find((s) => stepType(s) === "pulumi:pulumi:Stack");
  const oldOut = obj(stackStep?.oldState?.outputs);
  const rootCa = parseJson(d.config?.[`${NS}:rootCa`]);
  const ca = obj(parseJson(d.config?.[`${NS}:ca`]));
  const source = obj(ca.intermediateSource);
  const follows = source.kind === "rootStack" ? String(source.stack) : undefined;
  const role =
    rootCa !== undefined
      ? "root CA stack"
      : follows
        ? `cluster stack following \`${follows}\``
        : `single stack${ca.backend ? ` (${ca.backend})` : ""}`;
  const clusters =
    rootCa !== undefined
      ? Object.keys(obj(oldOut.intermediates))
          .concat(((obj(rootCa).clusters ?? []) as readonly ClusterEntry[]).map((c) => String(c.name)))
          .filter((c, i, a) => a.indexOf(c) === i)
      : Object.keys(obj(oldOut.clusters))
          .concat(
            ((parseJson(d.config?.[`${NS}:clusters`]) ?? []) as readonly (ClusterEntry | null)[]).map((c) =>
              String(c?.name),
            ),
          )
          .filter((c, i, a) => c !== "undefined" && a.indexOf(c) === i);
  const changing = changingSteps(d);
  const certs = certFacts(changing, clusters, now);
  const from = parsePosition(oldOut.caLifecycle);
  const followed = follows ? obj(refs[follows]) : undefined;
  const to =
    rootCa !== undefined
      ? configPosition(d.config, `${NS}:rootCa`)
      : follows
        ? parsePosition(followed?.caLifecycle)
        : configPosition(d.config, `${NS}:ca`);
  const lines: string[] = [`### Stack \`${input.stack}\` (${role})`, ""];
  lines.push(
    `- CA lifecycle: ${from ? describePosition(from) : "(not deployed yet)"} → ${to ? describePosition(to) : "(unknown)"}${from && to && describePosition(from) === describePosition(to) ? " (unchanged)" : ""}`,
  );
  const errors = (d.diagnostics ?? []).filter((x) => x.severity === "error");
  if (errors.length > 0)
    lines.push(`- **The preview failed**: ${errors.map((e) => md(e.message.trim().split("\n").join(" "))).join("; ")}`);

  // Certificates not tied to one cluster (roots).
  const stackCerts = certs.filter((c) => !c.cluster);
  const certTable = (cs: readonly CertFact[]) => {
    const out = ["| | certificate | subject | SHA-256 | not after |", "|---|---|---|---|---|"];
    for (const c of cs) {
      out.push(
        `| ${c.op === "create" ? "➕ create" : c.op === "delete" ? "➖ delete" : "🔁 replace"} | ${c.role} | ${md(c.subject)} | ${c.fingerprint ? `\`${c.fingerprint}\`` : "issued at apply"} | ${c.notAfter ? `${c.approximate ? "≈ " : ""}${c.notAfter}` : "?"} |`,
      );
    }
    return out;
  };
  if (stackCerts.length > 0) lines.push("", "CA certificates:", "", ...certTable(stackCerts));

  // The stack's trust bundle (root stack: one for every cluster).
  const bundleBefore = rootCa !== undefined ? bundleOf(((oldOut.rootCerts ?? []) as string[]).join("")) : undefined;
  for (const cluster of clusters) {
    lines.push("", `#### Cluster \`${cluster}\``, "");
    const mine = certs.filter((c) => c.cluster === cluster);
    if (mine.length > 0) lines.push(...certTable(mine), "");
    // A single stack's `clusters` output (stacks/mesh.ts, ClusterOutputs).
    const before = bundleBefore ?? bundleOf(obj(obj(oldOut.clusters)[cluster]).rootCertBundle as string | undefined);
    const cacerts = changing.find((s) => isCacerts(s) && clusterOf(s, clusters) === cluster);
    let after: BundleCert[] | undefined;
    if (follows)
      after =
        cacerts && followed
          ? bundleOf(((followed.rootCerts ?? []) as string[]).join(""))
          : cacerts
            ? undefined
            : before;
    else after = predictBundle(before, from, to, certs);
    const bundleLine =
      after && sameBundle(before, after)
        ? `unchanged: ${describeBundle(before)}`
        : `${describeBundle(before)} → ${after ? describeBundle(after) : "(not known from this preview)"}`;
    lines.push(`- Trust bundle (\`root-cert.pem\`): ${bundleLine}`);
    if (rootCa !== undefined) {
      lines.push(
        `- \`cacerts\` and istiod are in the cluster stack of \`${cluster}\`: they change when that stack is updated after this one`,
      );
    } else {
      lines.push(
        `- \`cacerts\`: ${cacerts ? `updated (${(Object.keys(cacerts.detailedDiff ?? {}).length > 0 ? Object.keys(cacerts.detailedDiff ?? {}) : (cacerts.diffReasons ?? [])).map((k) => k.replace(/^data\["?|"?\]$/g, "")).join(", ") || "data"})` : "unchanged"}`,
      );
      const istiod = changing.filter((s) => isIstiodDeployment(s) && clusterOf(s, clusters) === cluster);
      const chartConfig = changing
        .filter((s) => isIstiodChartConfig(s) && clusterOf(s, clusters) === cluster)
        .map((s) => urnName(s.urn).split("/").pop());
      lines.push(
        istiod.length > 0
          ? `- istiod **restarts** (its pod template changes): ${istiod.flatMap(istiodWhy).join("; ")}${chartConfig.length ? ` (its chart's ConfigMaps ${chartConfig.join(", ")} change with them)` : ""}`
          : `- istiod: no restart${cacerts ? " (it reloads the rewritten cacerts by itself)" : ""}`,
      );
      const restarts = changing
        .filter((s) => stepType(s) === "kubernetes:apps/v1:DeploymentPatch" && clusterOf(s, clusters) === cluster)
        .map((s) => {
          const m = obj(obj(s.newState?.inputs ?? s.oldState?.inputs).metadata);
          return `${m.namespace}/${m.name}`;
        });
      lines.push(
        `- Workloads restarted: ${restarts.length > 0 ? restarts.join(", ") : "none (they get new leaves within their certificate TTL)"}`,
      );
    }
  }
  const expiry = (d.diagnostics ?? []).filter((x) => /\.expiry:/.test(x.message));
  lines.push("", `Expiry: ${expiry.length === 0 ? "no warning" : `${expiry.length} finding(s)`}`);
  for (const e of expiry)
    lines.push(
      `- ${e.severity === "error" ? "❌" : "⚠️"} ${md(
        e.message
          .trim()
          .replace(/^(warning|error):\s*/, "")
          .split("\n")
          .join(" "),
      )}`,
    );
  if (d.policyEvents === undefined)
    lines.push(
      "",
      "Policy violations: not in `pulumi preview --json` (pass the preview's `--event-log` with --events to list them)",
    );
  else {
    lines.push("", `Policy violations: ${d.policyEvents.length === 0 ? "none" : d.policyEvents.length}`);
    for (const p of d.policyEvents)
      lines.push(
        `- ${p.enforcementLevel === "mandatory" ? "❌" : "⚠️"} \`${p.policyPackName}/${p.policyName}\` (${p.enforcementLevel})${p.resourceUrn ? ` on \`${urnName(p.resourceUrn)}\`` : ""}: ${md(p.message.trim().split("\n")[0])}`,
      );
  }
  const other = changing.filter(
    (s) =>
      !CERT_TYPES.has(stepType(s)) &&
      !isCacerts(s) &&
      !isIstiodDeployment(s) &&
      !isIstiodChartConfig(s) &&
      !stepType(s).startsWith("tls:") &&
      !stepType(s).startsWith(`${NS}:ca:`) &&
      stepType(s) !== "kubernetes:apps/v1:DeploymentPatch",
  );
  if (other.length > 0) {
    lines.push("", `Other changes (not CA material): ${other.length}`);
    for (const s of other.slice(0, 30)) lines.push(`- ${s.op} \`${urnName(s.urn)}\` (${stepType(s)})`);
    if (other.length > 30) lines.push(`- … ${other.length - 30} more`);
  }
  return lines;
}

/** The Markdown summary of one or more stacks' previews. */
export function summarize(inputs: readonly SummaryInput[], refs: References = {}, now: Date = new Date()): string {
  const lines = ["## CA changes in this preview", ""];
  for (const i of inputs) lines.push(...stackSection(i, refs, now), "");
  return `${lines.join("\n").trim()}\n`;
}

/** Policy events of an engine event log (`pulumi preview --event-log`: one JSON event per line). */
export function policyEventsOf(eventLog: string): NonNullable<PreviewDigest["policyEvents"]> {
  return eventLog
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .flatMap((l) => {
      try {
        const e = JSON.parse(l) as EngineEvent;
        return e.policyEvent ? [e.policyEvent] : [];
      } catch {
        return [];
      }
    });
}

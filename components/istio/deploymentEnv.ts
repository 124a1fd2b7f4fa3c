/**
 * Env entries of istiod's Deployment that the istiod chart writes itself, and the one way we change
 * them: in place, after rendering.
 *
 * The chart's `templates/deployment.yaml` writes some env entries of the `discovery` container from
 * other values (e.g. `PILOT_CERT_PROVIDER` from `global.pilotCertProvider`), then appends every
 * `pilot.env` entry. Setting one of those names in `pilot.env` therefore yields two entries with the
 * same name, which server-side apply rejects (env is a list keyed by name). And the value behind it
 * may not be changed instead: `global.pilotCertProvider` is also read by the sidecar injection
 * template (it decides whether proxies mount `istiod-ca-cert`). Istio's own
 * tests/integration/security/external_ca sets `PILOT_CERT_PROVIDER` for the istiod Deployment only,
 * through the operator's `components.pilot.k8s.env` overlay (a strategic merge by name, replacing
 * the chart's entry). The Helm equivalent here is a post-renderer that replaces the value of the
 * chart's own entry, leaving exactly one entry of that name.
 */

/**
 * Env names the istiod chart's Deployment writes itself: unconditionally, or (last group) when some
 * other value is set, without checking `pilot.env`. Checked against the chart's template by
 * test/istio/deploymentEnv.test.ts. (`CA_TRUSTED_NODE_ACCOUNTS` and `EXTERNAL_ISTIOD` are left out: the
 * chart skips its own entry when `pilot.env` sets them.)
 */
export const CHART_WRITTEN_ENV: readonly string[] = [
  "REVISION",
  "PILOT_CERT_PROVIDER",
  "POD_NAME",
  "POD_NAMESPACE",
  "SERVICE_ACCOUNT",
  "KUBECONFIG",
  "PILOT_ENABLE_ANALYSIS",
  "CLUSTER_ID",
  "GOMAXPROCS",
  "PLATFORM",
  "GODEBUG",
  "PILOT_TRACE_SAMPLING",
  "PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS",
  "PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME",
  "PILOT_CA_CERT_CONFIGMAP",
  "PILOT_CRL_CONFIGMAP",
];

/** Pure: the names of `env` the chart writes itself (setting them in `pilot.env` duplicates them). */
export function chartWrittenEnvIn(env: Record<string, unknown>): string[] {
  return Object.keys(env).filter((k) => CHART_WRITTEN_ENV.includes(k));
}

/**
 * The post-renderer, plain JavaScript for `node -e` (no imports, so it runs wherever Pulumi's Node.js
 * runs, with nothing installed). Arguments: one JSON object `{kind, name, env}`. Reads Helm's rendered
 * manifests on stdin; in the one document of that kind and name, replaces the value of each
 * `- name: <NAME>` entry, which must occur exactly once; writes the manifests to stdout. Anything
 * else (no such object, an entry missing or twice) exits 1 naming it: the chart changed and the
 * override must be looked at again, rather than silently not applied.
 */
export const ENV_POST_RENDERER_SCRIPT = String.raw`
const spec = JSON.parse(process.argv[process.argv.length - 1]);
const fail = (m) => { process.stderr.write("istio-mesh-ca post-renderer: " + m + "\n"); process.exit(1); };
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", () => {
  const docs = input.split(/^(?=---[ \t]*$)/m);
  const isTarget = (d) => new RegExp("^kind: " + spec.kind + "[ \\t]*$", "m").test(d)
    && new RegExp("^metadata:[ \\t]*\\n(?:[ \\t]+.*\\n)*?  name: \"?" + spec.name.replace(/[.]/g, "\\.") + "\"?[ \\t]*$", "m").test(d);
  const targets = docs.map((d, i) => (isTarget(d) ? i : -1)).filter((i) => i >= 0);
  if (targets.length !== 1) fail("expected one " + spec.kind + " " + spec.name + " in the rendered chart, found " + targets.length);
  let doc = docs[targets[0]];
  for (const [name, value] of Object.entries(spec.env)) {
    const entry = new RegExp("^([ \\t]*)- name: \"?" + name + "\"?[ \\t]*\\n\\1  value: .*$", "gm");
    const found = doc.match(entry) || [];
    if (found.length !== 1) fail(spec.kind + " " + spec.name + ": expected one env entry " + name + " written by the chart, found " + found.length);
    doc = doc.replace(entry, (_m, indent) => indent + "- name: " + name + "\n" + indent + "  value: " + JSON.stringify(String(value)));
  }
  docs[targets[0]] = doc;
  process.stdout.write(docs.join(""));
});
`;

/** helm.v4.Chart's `postRenderer` input. */
export interface PostRenderer {
  readonly command: string;
  readonly args: string[];
}

/**
 * Pure: a post-renderer replacing the values of chart-written env entries of one Deployment. `node`
 * is looked up on PATH by Helm (the same Node.js that runs this program); the script travels in the
 * arguments, so the Chart's inputs do not depend on where the repository is checked out.
 */
export function deploymentEnvPostRenderer(deployment: string, env: Record<string, string>): PostRenderer {
  return {
    command: "node",
    args: ["-e", ENV_POST_RENDERER_SCRIPT, "--", JSON.stringify({ kind: "Deployment", name: deployment, env })],
  };
}

/** istiod's Deployment (and service account) name: `istiod`, or `istiod-<revision>`. */
export function istiodName(revision?: string): string {
  return revision ? `istiod-${revision}` : "istiod";
}

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { e2eEnv, run } from "./support";

/**
 * Reads and token requests straight to the API server's REST paths, with curl and the kubeconfig's own
 * credentials, for the tier's hot polling helpers (a Secret's data, istio-ca-root-cert, a service
 * account token per workload leaf). A kubectl process costs ≈ 0.16 s of CPU (its start-up and API
 * discovery), curl ≈ 0.02 s; the tier made hundreds of such reads on two busy cores. Everything that
 * applies, patches or deletes objects still goes through kubectl.
 */

interface Credentials {
  server: string;
  /** Directory holding ca.crt, client.crt, client.key (mode 0600) for curl. */
  dir: string;
}

const credentials = new Map<string, Credentials>();

/** The current context's server and client certificate of a kubeconfig with embedded certificates. */
function credentialsOf(kubeconfig: string): Credentials {
  const text = fs.readFileSync(kubeconfig, "utf8");
  const key = crypto.createHash("sha256").update(kubeconfig).update("\0").update(text).digest("hex").slice(0, 16);
  const known = credentials.get(key);
  if (known && fs.existsSync(known.dir)) return known;
  const k = parse(text);
  const ctx = (k.contexts ?? []).find((c: any) => c.name === k["current-context"])?.context;
  const cluster = (k.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster;
  const user = (k.users ?? []).find((u: any) => u.name === ctx?.user)?.user;
  const ca = cluster?.["certificate-authority-data"];
  const crt = user?.["client-certificate-data"];
  const clientKey = user?.["client-key-data"];
  if (!cluster?.server || !ca || !crt || !clientKey) {
    throw new Error(
      `${kubeconfig}: the current context needs a server and embedded certificate-authority-data, ` +
        `client-certificate-data and client-key-data (tools/start-apiserver.sh writes them)`,
    );
  }
  const dir = path.join(e2eEnv().dir, "kube-api", key);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [file, data] of [
    ["ca.crt", ca],
    ["client.crt", crt],
    ["client.key", clientKey],
  ])
    fs.writeFileSync(path.join(dir, file), Buffer.from(data, "base64"), { mode: 0o600 });
  const c = { server: String(cluster.server).replace(/\/$/, ""), dir };
  credentials.set(key, c);
  return c;
}

export interface KubeResponse {
  status: number;
  body: any;
}

/** One request; the body parsed as JSON (the raw text when it is not JSON). Throws only when curl fails. */
export function kubeRequest(kubeconfig: string, method: "GET" | "POST", apiPath: string, body?: unknown): KubeResponse {
  const c = credentialsOf(kubeconfig);
  const r = run(
    "curl",
    [
      "-sS",
      "--max-time",
      "60",
      "--cacert",
      path.join(c.dir, "ca.crt"),
      "--cert",
      path.join(c.dir, "client.crt"),
      "--key",
      path.join(c.dir, "client.key"),
      "-X",
      method,
      "-H",
      "Accept: application/json",
      ...(body === undefined ? [] : ["-H", "Content-Type: application/json", "--data-binary", "@-"]),
      "-w",
      "\n%{http_code}",
      `${c.server}${apiPath}`,
    ],
    { input: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 90000 },
  );
  if (r.code !== 0) throw new Error(`curl ${method} ${apiPath} exited ${r.code}: ${r.stderr.trim()}`);
  const cut = r.stdout.lastIndexOf("\n");
  const text = r.stdout.slice(0, cut);
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the error message
  }
  return { status: Number(r.stdout.slice(cut + 1)), body: parsed };
}

/** REST collection of the kinds the helpers read. */
const COLLECTIONS = {
  secret: "secrets",
  configmap: "configmaps",
  serviceaccount: "serviceaccounts",
  namespace: "namespaces",
} as const;
export type CoreKind = keyof typeof COLLECTIONS;

const objectPath = (kind: CoreKind, name: string, namespace?: string) =>
  kind === "namespace"
    ? `/api/v1/namespaces/${encodeURIComponent(name)}`
    : `/api/v1/namespaces/${encodeURIComponent(namespace ?? "default")}/${COLLECTIONS[kind]}/${encodeURIComponent(name)}`;

/** What the API server serves at `apiPath` (an object or a list); undefined on 404. */
export function getPath(kubeconfig: string, apiPath: string): any | undefined {
  const r = kubeRequest(kubeconfig, "GET", apiPath);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${apiPath}: HTTP ${r.status} ${describe(r.body)}`);
  return r.body;
}

/** A core object as the API server holds it; undefined when it does not exist (404). */
export const getCoreObject = (kubeconfig: string, kind: CoreKind, name: string, namespace?: string): any | undefined =>
  getPath(kubeconfig, objectPath(kind, name, namespace));

/** Mutating webhook configurations: all of them (a list), or one by name (undefined when absent). */
export const mutatingWebhookConfigurations = (kubeconfig: string, name?: string): any | undefined =>
  getPath(
    kubeconfig,
    `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations${name ? `/${encodeURIComponent(name)}` : ""}`,
  );

/** A service account token (TokenRequest), as `kubectl create token` asks for it. */
export function createToken(
  kubeconfig: string,
  namespace: string,
  serviceAccount: string,
  opts: { audience?: string; seconds?: number } = {},
): string {
  const r = kubeRequest(kubeconfig, "POST", `${objectPath("serviceaccount", serviceAccount, namespace)}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: {
      ...(opts.audience ? { audiences: [opts.audience] } : {}),
      ...(opts.seconds ? { expirationSeconds: opts.seconds } : {}),
    },
  });
  if (r.status !== 201 && r.status !== 200) {
    throw new Error(`create token for ${namespace}/${serviceAccount}: HTTP ${r.status} ${describe(r.body)}`);
  }
  return r.body.status.token;
}

const describe = (body: any) => (typeof body === "object" && body?.message ? body.message : String(body).slice(0, 500));

/** The kubeconfig a helper was given, or the tier's own (KUBECONFIG). */
export const kubeconfigOr = (kubeconfig?: string): string => kubeconfig || e2eEnv({ apiserver: true }).kubeconfig;

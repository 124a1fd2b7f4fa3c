import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/**
 * Bench scenarios: stack configs (keys without the project prefix) of growing size, built from the
 * repository's own stack files so they stay valid as the schema evolves.
 */

export const ROOT = path.resolve(__dirname, "..");
export const PROJECT = "istio-mesh-ca";

export interface Scenario {
  /** Unique name, passed to the child process. */
  readonly name: string;
  /** Series the scenario belongs to (slopes are computed within a series). */
  readonly series: string;
  /** The size that grows along the series (namespaces, clusters). */
  readonly size: number;
  /** Program to evaluate: index.ts, or the one-resource baseline. */
  readonly program: "index" | "baseline";
  readonly config: Record<string, unknown>;
}

export function stackFile(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(doc.config ?? {})
      .filter(([k]) => k.startsWith(`${PROJECT}:`))
      .map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
  );
}

/** N namespaces, each STRICT with one workload-selected port exception. */
function meshNamespaces(n: number): Pick<Record<string, unknown>, "namespaces" | "mtls"> {
  const names = Array.from({ length: n }, (_, i) => `ns-${i}`);
  return {
    namespaces: names.map((name) => ({ name, mtls: "STRICT" })),
    mtls: {
      mode: "STRICT",
      exceptions: names.map((namespace, i) => ({
        name: `metrics-${i}`,
        namespace,
        selector: { app: `app-${i}` },
        ports: { "9090": "PERMISSIVE" },
      })),
    },
  };
}

const NAMESPACE_SIZES = [1, 10, 100];
const CLUSTER_SIZES = [1, 3, 10];
const CERT_MANAGER_SIGNERS = ["istio-system", "team-a", "team-b", "team-c"];

export function scenarios(): Scenario[] {
  const dev = stackFile("dev");
  const selfSignedNs = NAMESPACE_SIZES.map((n): Scenario => ({
    name: `selfSigned-ns-${n}`,
    series: "namespaces (selfSigned, mTLS + port exceptions)",
    size: n,
    program: "index",
    // Without the dev stack's sidecar ingress TLS example, so the series measures mTLS alone.
    config: { ...dev, sidecarIngressTls: [], ...meshNamespaces(n) },
  }));
  const certManagerNs = NAMESPACE_SIZES.map((n): Scenario => {
    const mesh = meshNamespaces(n);
    const names = (mesh.namespaces as { name: string }[]).map((x) => x.name);
    return {
      name: `certManager-ns-${n}`,
      series: "namespaces (certManager, + signer mapping per namespace)",
      size: n,
      program: "index",
      config: {
        ...stackFile("certmanager"),
        ...mesh,
        ca: {
          backend: "certManager",
          mode: "kubernetesCsr",
          signers: CERT_MANAGER_SIGNERS.map((name) => ({ name })),
          defaultSigner: "istio-system",
          namespaceSigners: Object.fromEntries(names.map((ns, i) => [ns, CERT_MANAGER_SIGNERS[1 + (i % 3)]])),
        },
      },
    };
  });
  const clusters = CLUSTER_SIZES.map((k): Scenario => ({
    name: `clusters-${k}`,
    series: "clusters sharing one root (dev stack per cluster)",
    size: k,
    program: "index",
    config: { ...dev, clusters: Array.from({ length: k }, (_, i) => ({ name: `cluster${i + 1}` })) },
  }));
  return [
    { name: "baseline", series: "baseline", size: 1, program: "baseline", config: {} },
    ...selfSignedNs,
    ...certManagerNs,
    ...clusters,
  ];
}

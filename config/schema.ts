import { z } from "zod";
import { ISTIO_CHART_REPOSITORY, ISTIO_VERSION } from "../components/istio/versions";
import { dnsLabel, labels, port } from "./atoms";
import { adapterFor, caConfigSchema } from "./backends";
import { rootCaConfigSchema } from "./lifecycle";

/**
 * The whole stack config (`istio-mesh-ca:*` keys), validated once into a typed object.
 * Each top-level key of this object is one Pulumi config key.
 */

export { ISTIO_CHART_REPOSITORY, ISTIO_VERSION };

export { dnsLabel };

/** Namespace-level modes. DISABLE is only accepted per port, in `mtls.exceptions`. */
export const mtlsModeSchema = z.enum(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);
const wideMtlsMode = mtlsModeSchema.refine(
  (m) => m !== "DISABLE",
  "DISABLE is refused for a whole mesh or namespace; use PERMISSIVE while migrating, or a port-level exception",
);

export const clusterSchema = z.strictObject({
  /** Cluster name: intermediate `L=`, resource names. */
  name: dnsLabel,
  /** kubeconfig context; defaults to the current context. */
  kubeContext: z.string().min(1).optional(),
  /** Path to (or contents of) a kubeconfig; defaults to the usual lookup ($KUBECONFIG, ~/.kube/config). */
  kubeconfig: z.string().min(1).optional(),
});

export const istioSchema = z
  .strictObject({
    /**
     * `helm`: this program installs Istio from its charts. `external`: Istio is installed by someone
     * else (e.g. the AKS add-on from the Key Vault backend, or another stack); policies are still applied.
     */
    install: z.enum(["helm", "external"]).default("helm"),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be an Istio release like 1.29.2")
      .default(ISTIO_VERSION),
    namespace: dnsLabel.default("istio-system"),
    createNamespace: z.boolean().default(true),
    chartRepository: z.url().default(ISTIO_CHART_REPOSITORY),
    /** A local directory with `base/`, `istiod/`, `gateway/` charts; replaces `chartRepository`. */
    chartPath: z.string().min(1).optional(),
    revision: dnsLabel.optional(),
    trustDomain: z.string().min(1).optional(),
    gateway: z
      .strictObject({
        enabled: z.boolean().default(false),
        name: dnsLabel.default("istio-ingressgateway"),
        namespace: dnsLabel.default("istio-ingress"),
        serviceType: z.enum(["LoadBalancer", "ClusterIP", "NodePort"]).default("LoadBalancer"),
      })
      .prefault({}),
    /** Don't wait for Deployments (API servers without nodes, e.g. the local e2e stack). */
    skipAwait: z.boolean().default(false),
    /** Escape hatch: chart values merged last, per chart. */
    values: z
      .strictObject({
        base: z.record(z.string(), z.unknown()).optional(),
        istiod: z.record(z.string(), z.unknown()).optional(),
        gateway: z.record(z.string(), z.unknown()).optional(),
      })
      .prefault({}),
  })
  .prefault({});

export const namespaceSchema = z.strictObject({
  name: dnsLabel,
  /** Create it (with sidecar injection) or only reference an existing one. */
  create: z.boolean().default(true),
  /** Sidecar injection: label `istio-injection=enabled`, or `istio.io/rev=<istio.revision>` when a revision is set. */
  injection: z.boolean().default(true),
  /** Namespace-wide PeerAuthentication mode; omitted means the mesh-wide mode applies. */
  mtls: wideMtlsMode.optional(),
  labels: labels.optional(),
});

export const mtlsSchema = z
  .strictObject({
    /** Mesh-wide PeerAuthentication in the Istio root namespace. */
    mode: wideMtlsMode.default("STRICT"),
    /** Workload-selected PeerAuthentications with per-port modes. */
    exceptions: z
      .array(
        z.strictObject({
          name: dnsLabel,
          namespace: dnsLabel,
          selector: labels.refine((l) => Object.keys(l).length > 0, "portLevelMtls needs a non-empty selector"),
          mode: mtlsModeSchema.optional(),
          /** Keyed by the workload's container port. */
          ports: z
            .record(z.string().regex(/^\d{1,5}$/, "port keys must be container port numbers"), mtlsModeSchema)
            .refine((p) => Object.keys(p).length > 0, "list at least one port"),
        }),
      )
      .default([]),
  })
  .prefault({});

const secretPem = z.string().includes("-----BEGIN", { message: "must be a PEM block" });

export const sidecarIngressTlsSchema = z.strictObject({
  /** Workload name; resources are named after it. */
  name: dnsLabel,
  namespace: dnsLabel,
  selector: labels.refine((l) => Object.keys(l).length > 0, "needs at least one label"),
  /** The container port external clients reach (the Service's targetPort). */
  port,
  portName: z.string().min(1).default("external"),
  /** The port the application listens on behind the sidecar. */
  appPort: port,
  /** Override of `0.0.0.0:<appPort>`. */
  defaultEndpoint: z.string().min(1).optional(),
  mode: z.enum(["SIMPLE", "MUTUAL"]).default("MUTUAL"),
  additionalIngress: z
    .array(
      z.strictObject({
        port,
        protocol: z.enum(["HTTP", "HTTPS", "HTTP2", "GRPC", "TCP", "TLS"]),
        name: z.string().min(1),
        appPort: port,
      }),
    )
    .default([]),
  certificates: z
    .union(
      [
        z.strictObject({
          source: z.literal("generate"),
          serverDnsNames: z.array(z.string().min(1)).min(1).optional(),
          clientCommonName: z.string().min(1).optional(),
          validityDays: z.number().int().min(1).default(365),
        }),
        z.strictObject({
          source: z.literal("provided"),
          serverCertPem: secretPem,
          /** Set with `pulumi config set --secret --path`. */
          serverKeyPem: secretPem,
          caCertPem: secretPem.optional(),
        }),
      ],
      { error: 'certificates.source must be "generate" or "provided"' },
    )
    .prefault({ source: "generate" }),
  secretNames: z.strictObject({ tls: dnsLabel.optional(), ca: dnsLabel.optional() }).prefault({}),
  mountPaths: z
    .strictObject({
      tls: z.string().startsWith("/").default("/etc/istio/tls-certs/"),
      ca: z.string().startsWith("/").default("/etc/istio/tls-ca-certs/"),
    })
    .prefault({}),
});

export const stackConfigSchema = z
  .strictObject({
    clusters: z
      .array(clusterSchema)
      .min(1, "list at least one cluster")
      .default([{ name: "cluster1" }]),
    ca: caConfigSchema,
    istio: istioSchema,
    namespaces: z.array(namespaceSchema).default([]),
    mtls: mtlsSchema,
    sidecarIngressTls: z.array(sidecarIngressTlsSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const dup = (items: string[], path: (string | number)[], what: string) => {
      const seen = new Set<string>();
      items.forEach((n, i) => {
        if (seen.has(n))
          ctx.addIssue({
            code: "custom",
            path: [...path, i, "name"],
            input: n,
            message: `duplicate ${what} ${JSON.stringify(n)}`,
          });
        seen.add(n);
      });
    };
    dup(
      cfg.clusters.map((c) => c.name),
      ["clusters"],
      "cluster",
    );
    dup(
      cfg.namespaces.map((n) => n.name),
      ["namespaces"],
      "namespace",
    );
    const declared = new Set([...cfg.namespaces.map((n) => n.name), cfg.istio.namespace]);
    const needDeclared = (ns: string, path: (string | number)[]) => {
      if (!declared.has(ns)) {
        ctx.addIssue({
          code: "custom",
          path,
          input: ns,
          message: `namespace ${JSON.stringify(ns)} is not declared; add it to istio-mesh-ca:namespaces (declared: ${[...declared].join(", ")})`,
        });
      }
    };
    cfg.mtls.exceptions.forEach((e, i) => needDeclared(e.namespace, ["mtls", "exceptions", i, "namespace"]));
    cfg.sidecarIngressTls.forEach((s, i) => {
      needDeclared(s.namespace, ["sidecarIngressTls", i, "namespace"]);
      if (s.mode === "MUTUAL" && s.certificates.source === "provided" && !s.certificates.caCertPem) {
        ctx.addIssue({
          code: "custom",
          path: ["sidecarIngressTls", i, "certificates", "caCertPem"],
          input: undefined,
          message: "mode MUTUAL needs caCertPem, the CA that client certificates chain to",
        });
      }
    });
    dup(
      cfg.sidecarIngressTls.map((s) => `${s.namespace}/${s.name}`),
      ["sidecarIngressTls"],
      "sidecarIngressTls entry",
    );
    const rev = cfg.istio.revision;
    if (rev !== undefined) {
      // A revisioned istiod injects namespaces labelled istio.io/rev=<rev> (what injection: true sets)
      // and skips any namespace labelled istio-injection.
      cfg.namespaces.forEach((n, i) => {
        const labels = n.labels ?? {};
        if ("istio-injection" in labels) {
          ctx.addIssue({
            code: "custom",
            path: ["namespaces", i, "labels", "istio-injection"],
            input: labels["istio-injection"],
            message: `with istio.revision ${JSON.stringify(rev)} the injection webhook skips namespaces labelled istio-injection; remove the label (injection: true sets istio.io/rev=${rev})`,
          });
        }
        if (n.injection && "istio.io/rev" in labels && labels["istio.io/rev"] !== rev) {
          ctx.addIssue({
            code: "custom",
            path: ["namespaces", i, "labels", "istio.io/rev"],
            input: labels["istio.io/rev"],
            message: `injection: true labels the namespace istio.io/rev=${rev} (istio.revision); remove this label or set injection: false`,
          });
        }
      });
    }
    for (const p of adapterFor(cfg.ca).validate?.(cfg.ca, cfg) ?? []) {
      ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: p.input });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type SidecarIngressTlsConfig = z.infer<typeof sidecarIngressTlsSchema>;

/** A root CA stack (stacks/rootCa.ts): `istio-mesh-ca:rootCa` and nothing else. */
export const rootStackConfigSchema = z.strictObject({ rootCa: rootCaConfigSchema });
export type RootStackConfig = z.infer<typeof rootStackConfigSchema>;

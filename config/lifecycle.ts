import { z } from "zod";
import { IntermediateParams, RootParams, intermediateOutlivesRoot } from "../components/ca/certParams";
import { ROOT_PHASES } from "../components/ca/lifecycle/phases";
import {
  ExpirySettings,
  IntermediateSource,
  LifecycleSettings,
  RootCaSettings,
  RotationSettings,
  expiryProblems,
  resolveExpiry,
  resolveIntermediate,
  resolveIntermediateSource,
  resolveRoot,
  resolveRotation,
} from "../components/ca/lifecycle/settings";
import { ConfigIssue, dnsLabel } from "./atoms";
import { intermediateParamsSchema, rootParamsSchema } from "./certParams";
import { conforms } from "./conforms";

/**
 * Config of the CA lifecycle, shared by every backend that holds an offline root (spread
 * `lifecycleConfigFields` into the backend's schema and report `lifecycleConfigIssues` from its superRefine),
 * and by the root CA stack (`istio-mesh-ca:rootCa`). Produces components/ca/lifecycle/settings.ts. Shape
 * only: the defaults are that module's (`resolveIntermediateSource`, `resolveRotation`, `resolveExpiry`),
 * applied here through its resolvers, and so is the expiry check (`expiryProblems`).
 */

// `.unwrap()` drops the params' prefault: absent means absent here (zod applies an inner default even under optional).
const generation = z.number().int("must be a whole number").min(1, "generations start at 1");

/** Where a cluster's intermediate comes from (`lifecycleConfigFields.intermediateSource`: absent is the default). */
export const intermediateSourceSchema = conforms<IntermediateSource>()(
  z.discriminatedUnion(
    "kind",
    [
      /** Issued in this stack by the root this stack holds. */
      z.strictObject({ kind: z.literal("generate") }),
      /** Issued by a root CA stack (stacks/rootCa.ts) and read through a StackReference. */
      z.strictObject({
        kind: z.literal("rootStack"),
        stack: z
          .string()
          .regex(
            /^[^/\s]+\/[^/\s]+\/[^/\s]+$/,
            "must be a fully qualified stack name <organization>/<project>/<stack>",
          ),
      }),
    ],
    { error: (iss) => (iss.code === "invalid_union" ? 'kind must be "generate" or "rootStack"' : undefined) },
  ),
);

/** A Deployment whose pods get a fresh workload certificate when the CA material changes. */
export const deploymentRefSchema = z.strictObject({
  namespace: dnsLabel,
  name: dnsLabel,
  /** Only in this cluster of the stack (default: every cluster). */
  cluster: dnsLabel.optional(),
});

/**
 * `rotation`: phases and generations are optional here so that a stack taking its material from a
 * root stack can be told it must not set them; `resolveRotation` applies the defaults.
 */
export const rotationSchema = conforms<RotationSettings>()(
  z
    .strictObject({
      /** Root rotation phase: steady → dual → cutover → finalize → steady (rootGeneration + 1). */
      rootPhase: z.enum(ROOT_PHASES, { error: `must be one of ${ROOT_PHASES.join(", ")}` }).optional(),
      /** Generation of the root in service (default 1); raised by one when a rotation completes. */
      rootGeneration: generation.optional(),
      /** Raise by one to issue new intermediates (new keys) signed by the same root (default 1). */
      intermediateGeneration: generation.optional(),
      /** Parameters of the incoming root during dual/cutover/finalize (default: those of `root`). */
      newRoot: rootParamsSchema.unwrap().optional(),
      /**
       * Deployments restarted (pod-template annotation) whenever their cluster's CA material changes.
       * None by default.
       */
      restartDeployments: z.array(deploymentRefSchema).optional(),
    })
    .transform(resolveRotation)
    .prefault({}),
);

/** `expiry`: the guards' defaults (`resolveExpiry`) and their check (`expiryProblems`) are the component's. */
export const expirySchema = conforms<ExpirySettings>()(
  z
    .strictObject({
      /** A CA certificate expiring within this many days produces a warning. */
      warnDays: z.number().int().min(1).optional(),
      /** Within this many days it is an error unless acknowledged. */
      errorDays: z.number().int().min(1).optional(),
      /**
       * Certificates accepted despite expiring soon: subjects as the warning prints them (`O=Istio, CN=Intermediate CA,
       * L=cluster-a`) or SHA-256 fingerprints.
       */
      acknowledge: z.array(z.string().min(1)).optional(),
    })
    // Judged on the resolved guards, and also when a day is out of range (as the config always reported it).
    .superRefine((given, ctx) => {
      for (const p of expiryProblems(resolveExpiry(given))) ctx.addIssue({ code: "custom", ...p });
    })
    .transform(resolveExpiry)
    .prefault({}),
);

/** The fields a backend with an offline root spreads into its `ca` schema. */
export const lifecycleConfigFields = {
  /** The root every cluster of this stack shares (unused with a root stack source). */
  root: rootParamsSchema.unwrap().optional(),
  /** The per-cluster intermediate (unused with a root stack source). */
  intermediate: intermediateParamsSchema.unwrap().optional(),
  intermediateSource: intermediateSourceSchema.optional().transform(resolveIntermediateSource),
  rotation: rotationSchema,
  expiry: expirySchema,
};

/** Pure cross-field checks of the lifecycle config; paths relative to the backend's object. */
export function lifecycleConfigIssues(cfg: LifecycleSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (cfg.intermediateSource.kind === "rootStack") {
    const owned = "is decided by the root stack; set it there (istio-mesh-ca:rootCa)";
    if (cfg.root)
      issues.push({
        path: ["root"],
        message: `not used with intermediateSource rootStack: the root ${owned}`,
        input: cfg.root,
      });
    if (cfg.intermediate)
      issues.push({
        path: ["intermediate"],
        message: `not used with intermediateSource rootStack: the intermediate ${owned}`,
        input: cfg.intermediate,
      });
    for (const k of ["rootPhase", "rootGeneration", "intermediateGeneration", "newRoot"] as const) {
      if (cfg.rotation[k] !== undefined)
        issues.push({
          path: ["rotation", k],
          message: `not used with intermediateSource rootStack: rotation ${owned}`,
          input: cfg.rotation[k],
        });
    }
    return issues;
  }
  return [
    ...rootIssues(resolveRoot(cfg.root), cfg.rotation.newRoot, resolveIntermediate(cfg.intermediate), ["intermediate"]),
  ];
}

/** The intermediate must outlive neither the current nor the incoming root. */
export function rootIssues(
  root: RootParams,
  newRoot: RootParams | undefined,
  intermediate: IntermediateParams,
  intermediatePath: (string | number)[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const err = intermediateOutlivesRoot(root, intermediate);
  if (err) issues.push({ path: [...intermediatePath, "validityDays"], message: err, input: intermediate.validityDays });
  const errNew = newRoot && intermediateOutlivesRoot(newRoot, intermediate);
  if (errNew)
    issues.push({
      path: [...intermediatePath, "validityDays"],
      message: `${errNew.replace("root.validityDays", "rotation.newRoot.validityDays")}`,
      input: intermediate.validityDays,
    });
  return issues;
}

/** `istio-mesh-ca:rootCa`: a stack that holds only the root and signs one intermediate per cluster. */
export const rootCaConfigSchema = conforms<RootCaSettings>()(
  z
    .strictObject({
      root: rootParamsSchema,
      /** Defaults for every cluster's intermediate. */
      intermediate: intermediateParamsSchema,
      clusters: z
        .array(
          z.strictObject({
            /** The cluster's name: the intermediate's `L=` and its key in the stack outputs. */
            name: dnsLabel,
            /** The namespace istiod runs in there (default SAN `istiod.<namespace>.svc`). */
            istioNamespace: dnsLabel.default("istio-system"),
            /** Overrides of the intermediate defaults for this cluster. */
            intermediate: intermediateParamsSchema.unwrap().optional(),
          }),
        )
        .min(1, "list at least one cluster the root signs an intermediate for"),
      rotation: rotationSchema,
      expiry: expirySchema,
    })
    .superRefine((cfg, ctx) => {
      const seen = new Set<string>();
      cfg.clusters.forEach((c, i) => {
        if (seen.has(c.name))
          ctx.addIssue({
            code: "custom",
            path: ["clusters", i, "name"],
            input: c.name,
            message: `duplicate cluster ${JSON.stringify(c.name)}`,
          });
        seen.add(c.name);
        const path = c.intermediate ? ["clusters", i, "intermediate"] : ["intermediate"];
        for (const p of rootIssues(cfg.root, cfg.rotation.newRoot, c.intermediate ?? cfg.intermediate, path))
          ctx.addIssue({ code: "custom", ...p });
      });
      if (cfg.rotation.restartDeployments.length > 0) {
        ctx.addIssue({
          code: "custom",
          path: ["rotation", "restartDeployments"],
          input: cfg.rotation.restartDeployments,
          message:
            "a root CA stack has no workloads; list deployments to restart in the cluster stacks (istio-mesh-ca:ca.rotation.restartDeployments)",
        });
      }
    }),
);

import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { defineBackend } from "./backend";
import { IntermediateParams, intermediateOutlivesRoot, intermediateParamsSchema, rootParamsSchema } from "./certParams";
import { CaBackend, CaMaterial, IstiodContribution, cacertsOnlyContribution } from "./contract";
import { IntermediateCa, RootCa, SigningRoot } from "./tlsCa";

/**
 * Self-signed backend (seed 004): an offline-style root in this stack and one intermediate per
 * cluster, handed to istiod through the `cacerts` Secret.
 */

export const selfSignedConfigSchema = z.strictObject({
  backend: z.literal("selfSigned"),
  /** The root every cluster of this stack shares. */
  root: rootParamsSchema,
  /** The per-cluster intermediate. */
  intermediate: intermediateParamsSchema,
}).superRefine((cfg, ctx) => {
  const err = intermediateOutlivesRoot(cfg.root, cfg.intermediate);
  if (err) ctx.addIssue({ code: "custom", path: ["intermediate", "validityDays"], message: err, input: cfg.intermediate.validityDays });
});
export type SelfSignedConfig = z.infer<typeof selfSignedConfigSchema>;

export interface SelfSignedCaArgs {
  /** The root that signs this cluster's intermediate. */
  readonly root: SigningRoot;
  /** Intermediate key, lifetime, subject and SANs. */
  readonly intermediate: IntermediateParams;
  /** Cluster name: the intermediate's `L=` and the `cacerts` of that cluster. */
  readonly clusterName: string;
  /** Namespace istiod runs in (default SAN `istiod.<ns>.svc`). */
  readonly istioNamespace: string;
}

/** A cluster's CA from the self-signed root: the intermediate goes into `cacerts`. */
export class SelfSignedCa extends pulumi.ComponentResource implements CaBackend {
  public readonly kind = "selfSigned";
  public readonly material: CaMaterial;
  public readonly istiod: IstiodContribution;

  constructor(name: string, args: SelfSignedCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:SelfSignedCa", name, {}, opts);
    const intermediate = new IntermediateCa(`${name}-intermediate`, {
      root: args.root,
      params: args.intermediate,
      clusterName: args.clusterName,
      istioNamespace: args.istioNamespace,
    }, { parent: this });
    this.material = intermediate.material;
    this.istiod = cacertsOnlyContribution();
    this.registerOutputs({ rootCertBundle: this.material.rootCertBundle, certChain: this.material.certChain });
  }
}

export const selfSignedBackend = defineBackend<SelfSignedConfig, RootCa>({
  schema: selfSignedConfigSchema,
  shared: (name, config, opts) => new RootCa(`${name}-root`, { params: config.root }, opts),
  create: (name, config, ctx, opts) => new SelfSignedCa(name, {
    root: ctx.shared,
    intermediate: config.intermediate,
    clusterName: ctx.clusterName,
    istioNamespace: ctx.istioNamespace,
  }, opts),
});

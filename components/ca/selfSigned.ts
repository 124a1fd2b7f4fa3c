import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { defineBackend } from "./backend";
import { CaBackend, CaDelivery, IstiodSettings, noIstiodSettings } from "./contract";
import { OfflineCa, offlineCaFields, offlineCaIssues, offlineCaMaterial, withIstiodAdditions } from "./lifecycle";

/**
 * Self-signed backend (seed 004): an offline-style root in this stack and one intermediate per
 * cluster, handed to istiod through the `cacerts` Secret.
 */

export const selfSignedConfigSchema = z.strictObject({
  backend: z.literal("selfSigned"),
  /** Root and intermediate params, intermediate source (this stack or a root stack), rotation, expiry guards. */
  ...offlineCaFields,
}).superRefine((cfg, ctx) => {
  for (const p of offlineCaIssues(cfg)) ctx.addIssue({ code: "custom", ...p });
});
export type SelfSignedConfig = z.infer<typeof selfSignedConfigSchema>;

export interface SelfSignedCaArgs {
  /** The stack's offline CA (roots of the current phase, or a root stack's material). */
  readonly offlineCa: OfflineCa;
  /** Cluster name: the intermediate's `L=` and the `cacerts` of that cluster. */
  readonly clusterName: string;
  /** Namespace istiod runs in (default SAN `istiod.<ns>.svc`). */
  readonly istioNamespace: string;
}

/** A cluster's CA from the self-signed root: the intermediate goes into `cacerts`. */
export class SelfSignedCa extends pulumi.ComponentResource implements CaBackend {
  public readonly backendName = "selfSigned";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;

  constructor(name: string, args: SelfSignedCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:SelfSignedCa", name, {}, opts);
    const offline = offlineCaMaterial(`${name}-intermediate`, {
      shared: args.offlineCa,
      clusterName: args.clusterName,
      istioNamespace: args.istioNamespace,
      parent: this,
    });
    const material = offline.material!;
    this.delivery = { kind: "cacerts", material };
    this.istiodSettings = withIstiodAdditions(noIstiodSettings(), offline.istiodAdditions);
    this.registerOutputs({ rootCertBundle: material.rootCertBundle, certChain: material.certChain });
  }
}

export const selfSignedBackend = defineBackend<SelfSignedConfig, OfflineCa>({
  schema: selfSignedConfigSchema,
  shared: (name, config, opts) => new OfflineCa(name, { config, configKey: "istio-mesh-ca:ca" }, opts),
  create: (name, config, ctx, opts) => new SelfSignedCa(name, {
    offlineCa: ctx.shared,
    clusterName: ctx.clusterName,
    istioNamespace: ctx.istioNamespace,
  }, opts),
});

import * as pulumi from "@pulumi/pulumi";
import { StackInventory, caInventory } from "./caInventory";

/** What the inventory needs of each cluster's exported CA material. */
export interface ClusterCaOutputs {
  readonly backend: string;
  readonly rootCertBundle: pulumi.Input<string>;
  readonly intermediateCert?: pulumi.Input<string>;
}

/**
 * The `inventory` stack output. `daysLeft` is as of the program's evaluation (the last `pulumi up`);
 * `npm run inventory` recomputes it from `notAfter` as of the moment it runs.
 */
export function inventoryOutput(clusters: Record<string, ClusterCaOutputs>): pulumi.Output<StackInventory> {
  const now = new Date();
  const perCluster = Object.entries(clusters).map(([cluster, c]) =>
    pulumi.all([c.rootCertBundle, c.intermediateCert]).apply(([root, intermediate]) =>
      [cluster, caInventory(cluster, { rootCertBundle: root, intermediateCert: intermediate }, c.backend, now)] as const));
  return pulumi.all(perCluster).apply((entries) => Object.fromEntries(entries));
}

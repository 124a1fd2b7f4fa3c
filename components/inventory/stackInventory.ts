import * as pulumi from "@pulumi/pulumi";
import { StackInventory, caInventory } from "./caInventory";

/** What the inventory needs of each cluster's exported CA material. */
export interface ClusterCaOutputs {
  readonly backend: string;
  readonly rootCertBundle: pulumi.Input<string>;
  readonly intermediateCert?: pulumi.Input<string>;
}

/**
 * The `inventory` stack output: no `daysLeft` (it depends on the day, and would make every preview of
 * a new day show a change); `npm run inventory` computes it from `notAfter` when it runs.
 */
export function inventoryOutput(clusters: Record<string, ClusterCaOutputs>): pulumi.Output<StackInventory> {
  const now = new Date();
  const perCluster = Object.entries(clusters).map(([cluster, c]) =>
    pulumi
      .all([c.rootCertBundle, c.intermediateCert])
      .apply(
        ([root, intermediate]) =>
          [
            cluster,
            caInventory(cluster, { rootCertBundle: root, intermediateCert: intermediate }, c.backend, now).map(
              ({ daysLeft: _, ...exported }) => exported,
            ),
          ] as const,
      ),
  );
  return pulumi.all(perCluster).apply((entries) => Object.fromEntries(entries));
}

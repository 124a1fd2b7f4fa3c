import * as pulumi from "@pulumi/pulumi";
import { previousLifecycleStateOf, selfStackName } from "../components/ca/lifecycle";
import { DeployedMaterial } from "../components/ca/provided";
import { PreviousDeployment } from "../config/backends/adapter";

/**
 * The stack program reads back what its own last deployment exported — the outputs it defines itself
 * (`caLifecycle`, `clusters.<name>` of stacks/mesh.ts, `caLifecycle` of stacks/rootCa.ts) — and passes
 * them to the components as inputs (`previous`, `deployed`), which check the next phase or the next
 * material against them. Components never open a StackReference to their own stack.
 */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Pure: the `clusters` output of a mesh stack (stacks/mesh.ts), certificates only; undefined when it has none. */
export function deployedMaterialOf(clusters: unknown): Record<string, DeployedMaterial> | undefined {
  if (!isRecord(clusters)) return undefined;
  return Object.fromEntries(
    Object.entries(clusters).map(([name, c]): [string, DeployedMaterial] => [
      name,
      {
        ...(isRecord(c) && typeof c.rootCertBundle === "string" ? { rootCertBundle: c.rootCertBundle } : {}),
        ...(isRecord(c) && typeof c.intermediateCert === "string" ? { intermediateCert: c.intermediateCert } : {}),
      },
    ]),
  );
}

/**
 * Opens the StackReference `name` to this stack with `opts` (the name and parent a backend always gave
 * it, so its URN stays) and reads the previous deployment's lifecycle state and cluster certificates.
 * A stack without outputs (never deployed) reads as undefined: a first deployment.
 */
export function readPreviousDeployment(name: string, opts: pulumi.CustomResourceOptions = {}): PreviousDeployment {
  const ref = new pulumi.StackReference(name, { name: selfStackName() }, opts);
  const caLifecycle = previousLifecycleStateOf(ref);
  // Not secret even when other outputs of the stack are: certificates are public.
  const clusters = pulumi.unsecret(
    ref.outputs.apply((outputs) => deployedMaterialOf(isRecord(outputs) ? outputs.clusters : undefined)),
  );
  return { caLifecycle, clusters };
}

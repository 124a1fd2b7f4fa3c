import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaMaterial } from "../contract";
import { MeshComponent } from "../../shared/meshComponent";
import { Transform, transformed } from "../../shared/transform";
import { DeploymentRef } from "./settings";

/** Pod-template annotation whose change rolls a Deployment: new pods ask istiod for new leaves at once. */
export const CA_MATERIAL_ANNOTATION = "istio-mesh-ca/ca-material";

/**
 * Fingerprint of what workloads must pick up: the trusted roots and the intermediate that signs their
 * leaves. Changes on an intermediate rotation and on every root phase that changes either.
 */
export function materialFingerprint(material: CaMaterial): pulumi.Output<string> {
  return pulumi
    .all([material.rootCertBundle, material.intermediateCert ?? ""])
    .apply(([bundle, inter]) =>
      crypto.createHash("sha256").update(bundle).update("\0").update(inter).digest("hex").slice(0, 32),
    );
}

export interface WorkloadRestartsArgs {
  readonly provider: k8s.Provider;
  /** The cluster these patches go to; entries naming another cluster are skipped. */
  readonly clusterName: string;
  /** From `rotation.restartDeployments`. */
  readonly deployments: readonly DeploymentRef[];
  /** The cluster's CA material; its fingerprint is the annotation's value. */
  readonly material: CaMaterial;
  /** Per-child escape hatch (partial args or a function): each Deployment's patch (the function gets its name). */
  readonly transform?: { readonly deploymentPatch?: Transform<k8s.apps.v1.DeploymentPatchArgs> };
}

/**
 * Optional rolling restart of listed Deployments when the CA material changes (otherwise workloads
 * get new leaves within their 24h TTL). A server-side-apply patch of one pod-template annotation;
 * kept on delete so that removing an entry does not roll the Deployment once more.
 */
export class WorkloadRestarts extends MeshComponent {
  constructor(name: string, args: WorkloadRestartsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "WorkloadRestarts", name, opts);
    const fingerprint = materialFingerprint(args.material);
    for (const d of args.deployments.filter((x) => !x.cluster || x.cluster === args.clusterName)) {
      const name = this.childName(`${d.namespace}-${d.name}`);
      new k8s.apps.v1.DeploymentPatch(
        name,
        ...transformed(
          args.transform?.deploymentPatch,
          name,
          {
            metadata: { name: d.name, namespace: d.namespace, annotations: { "pulumi.com/patchForce": "true" } },
            spec: { template: { metadata: { annotations: { [CA_MATERIAL_ANNOTATION]: fingerprint } } } },
          },
          { parent: this, provider: args.provider, retainOnDelete: true },
        ),
      );
    }
    this.registerOutputs({});
  }
}

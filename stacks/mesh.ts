import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LifecycleState, WorkloadRestarts } from "../components/ca/lifecycle";
import { adapterFor } from "../config/backends";
import { StackInventory } from "../components/inventory/caInventory";
import { inventoryOutput } from "../components/inventory/stackInventory";
import { StackConfig } from "../config/schema";
import { MeshCluster } from "./meshCluster";
import { meshClusterArgs } from "./meshClusterArgs";
import { readPreviousDeployment } from "./previousDeployment";
import { MESH_PROVIDER_OPTIONS } from "../components/istio/cacerts";

/** What a cluster stack exports per cluster. Certificates are public; keys are never exported. */
export interface ClusterOutputs {
  backend: string;
  rootCertBundle: pulumi.Output<string>;
  intermediateCert?: pulumi.Output<string>;
  certChain?: pulumi.Output<string>;
  /** Backend-specific public values (e.g. the AKS mesh profile fragments). */
  backendOutputs?: Record<string, pulumi.Input<unknown>>;
  /** Per sidecar-ingress-TLS workload: the annotations its pod template needs. */
  sidecarIngressTls: Record<
    string,
    {
      podAnnotations: Record<string, string>;
      caCertPem: pulumi.Output<string | undefined>;
      clientCertPem?: pulumi.Output<string>;
      clientKeyPem?: pulumi.Output<string>;
    }
  >;
}

/** The mesh composition: one CA backend, then Istio and policies in every configured cluster. */
export function meshStack(config: StackConfig): {
  clusters: Record<string, ClusterOutputs>;
  inventory: pulumi.Output<StackInventory>;
  caLifecycle?: pulumi.Output<LifecycleState>;
} {
  const backend = adapterFor(config.ca);
  // The backend's shared step opens the StackReference to this stack through the reader (named and
  // parented as the backend always had it) and checks the next phase or material against it.
  const shared = backend.shared("mesh", config.ca, { ...config, previousDeployment: readPreviousDeployment }, {});
  // Backends with an offline root: phase state to record, optional workload restarts.
  const lifecycle = backend.lifecycle(shared);
  const clusters: Record<string, ClusterOutputs> = {};
  for (const cluster of config.clusters) {
    const provider = new k8s.Provider(`${cluster.name}-k8s`, {
      context: cluster.kubeContext,
      kubeconfig: cluster.kubeconfig,
      ...MESH_PROVIDER_OPTIONS,
    });
    // The backend is declared before the namespaces (istiod waits for it, namespaces may need the
    // cluster it creates); what it puts into those namespaces waits for this promise.
    let namespacesDeclared!: (ns: pulumi.Resource[]) => void;
    const namespacesReady = new Promise<pulumi.Resource[]>((resolve) => {
      namespacesDeclared = resolve;
    });
    const ca = backend.create(
      `${cluster.name}-ca`,
      config.ca,
      {
        clusterName: cluster.name,
        provider,
        istioNamespace: config.istio.namespace,
        istioRevision: config.istio.revision,
        namespacesReady,
        shared,
      },
      {},
    );
    const mesh = new MeshCluster(cluster.name, meshClusterArgs(config, ca.clusterProvider ?? provider, ca));
    namespacesDeclared(mesh.namespaces);
    if (lifecycle && lifecycle.restartDeployments.length > 0) {
      new WorkloadRestarts(
        `${cluster.name}-restarts`,
        {
          provider: ca.clusterProvider ?? provider,
          clusterName: cluster.name,
          deployments: lifecycle.restartDeployments,
          material: ca.delivery.material,
        },
        { dependsOn: [mesh] },
      );
    }
    clusters[cluster.name] = {
      backend: ca.backendName,
      rootCertBundle: ca.delivery.material.rootCertBundle,
      intermediateCert: ca.delivery.material.intermediateCert,
      certChain: ca.delivery.material.certChain,
      ...(ca.stackOutputs ? { backendOutputs: ca.stackOutputs } : {}),
      sidecarIngressTls: Object.fromEntries(
        Object.entries(mesh.sidecarIngressTls).map(([k, s]) => [
          k,
          {
            podAnnotations: s.podAnnotations,
            caCertPem: s.caCertPem,
            ...(s.clientCertPem
              ? { clientCertPem: s.clientCertPem, clientKeyPem: pulumi.secret(s.clientKeyPem!) }
              : {}),
          },
        ]),
      ),
    };
  }
  return { clusters, inventory: inventoryOutput(clusters), ...(lifecycle ? { caLifecycle: lifecycle.state } : {}) };
}

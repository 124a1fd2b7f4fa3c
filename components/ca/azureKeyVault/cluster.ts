import * as containerservice from "@pulumi/azure-native/containerservice";
import type * as outputs from "@pulumi/azure-native/types/output";
import * as k8s from "@pulumi/kubernetes";
import { MESH_PROVIDER_OPTIONS } from "../../istio/cacerts";
import * as pulumi from "@pulumi/pulumi";
import { CreateClusterConfig, FragmentsClusterConfig, inPlaceSwitchMessage } from "./config";
import { MeshClusterFragments, SECRETS_PROVIDER_ADDON } from "./fragments";

type AddonProfiles = { [key: string]: outputs.containerservice.ManagedClusterAddonProfileResponse } | undefined;

/**
 * Pure: the secrets-provider add-on identity's objectId, or undefined while the add-on is off. ARM
 * does not guarantee the casing of add-on keys (`azureKeyvaultSecretsProvider`,
 * `AzureKeyvaultSecretsProvider`, `azurekeyvaultsecretsprovider` are all seen): the key is matched
 * case-insensitively, the exact spelling first.
 */
export function addonIdentityObjectId(profiles: AddonProfiles): string | undefined {
  if (!profiles) return undefined;
  const wanted = SECRETS_PROVIDER_ADDON.toLowerCase();
  const keys = Object.keys(profiles).filter((k) => k.toLowerCase() === wanted)
    .sort((a, b) => Number(b === SECRETS_PROVIDER_ADDON) - Number(a === SECRETS_PROVIDER_ADDON));
  for (const k of keys) {
    const id = profiles[k]?.identity?.objectId;
    if (id) return id;
  }
  return undefined;
}

/** Pure: seed 001's rule — a mesh running the add-on's self-signed CA cannot switch to a plug-in CA in place. */
export function inPlaceSwitchProblem(clusterName: string, profile: outputs.containerservice.ServiceMeshProfileResponse | undefined): string | undefined {
  const meshed = profile?.mode === "Istio";
  return meshed && !profile?.istio?.certificateAuthority?.plugin ? inPlaceSwitchMessage(clusterName) : undefined;
}

export interface CreatedAksCluster {
  readonly cluster: containerservice.ManagedCluster;
  /** objectId of the secrets-provider add-on identity AKS created with the cluster. */
  readonly addonIdentityObjectId: pulumi.Output<string>;
  /** A provider for the new cluster; its kubeconfig is a secret. */
  readonly provider: k8s.Provider;
}

/** Greenfield: an AKS cluster with a system-assigned identity, the mesh and the secrets-provider add-on. */
export function createAksCluster(
  name: string,
  cfg: CreateClusterConfig & { name: string },
  fragments: MeshClusterFragments,
  dependsOn: pulumi.Resource[],
  parent: pulumi.Resource,
): CreatedAksCluster {
  const cluster = new containerservice.ManagedCluster(`${name}-aks`, {
    resourceName: cfg.name,
    resourceGroupName: cfg.resourceGroupName,
    location: cfg.location,
    dnsPrefix: cfg.dnsPrefix ?? cfg.name,
    kubernetesVersion: cfg.kubernetesVersion,
    identity: { type: "SystemAssigned" },
    enableRBAC: true,
    agentPoolProfiles: [{ name: cfg.nodePool.name, mode: "System", osType: "Linux", vmSize: cfg.nodePool.vmSize, count: cfg.nodePool.count }],
    serviceMeshProfile: fragments.serviceMeshProfile,
    addonProfiles: fragments.addonProfiles,
  }, { parent, dependsOn });

  const credentials = { resourceGroupName: cfg.resourceGroupName, resourceName: cluster.name };
  const listed = cfg.credentials === "admin"
    ? containerservice.listManagedClusterAdminCredentialsOutput(credentials, { parent })
    : containerservice.listManagedClusterUserCredentialsOutput(credentials, { parent });
  const kubeconfig = pulumi.secret(listed.apply((r) => {
    const value = r.kubeconfigs?.[0]?.value;
    if (!value) throw new Error(`AKS returned no ${cfg.credentials} kubeconfig for cluster ${cfg.name}`);
    return Buffer.from(value, "base64").toString("utf8");
  }));
  const provider = new k8s.Provider(`${name}-aks-k8s`, { kubeconfig, ...MESH_PROVIDER_OPTIONS }, { parent });

  const addonIdentity = cluster.addonProfiles.apply((p) => {
    const id = addonIdentityObjectId(p);
    if (!id) throw new Error(`cluster ${cfg.name} reports no ${SECRETS_PROVIDER_ADDON} identity; the add-on must be enabled`);
    return id;
  });
  return { cluster, addonIdentityObjectId: addonIdentity, provider };
}

/** What the lookup of a team-owned cluster reports (a subset of getManagedCluster's result). */
export interface TeamClusterState {
  readonly serviceMeshProfile?: outputs.containerservice.ServiceMeshProfileResponse;
  readonly addonProfiles?: AddonProfiles;
}

/**
 * Pure: the add-on identity to grant, from config or the looked-up cluster; throws (a preview error
 * when run in an apply) for a mesh on the self-signed CA, or while the add-on has no identity.
 */
export function teamClusterIdentityFrom(cfg: FragmentsClusterConfig, state: TeamClusterState): string {
  const problem = inPlaceSwitchProblem(cfg.name, state.serviceMeshProfile);
  if (problem) throw new Error(`istio-mesh-ca:ca.cluster.existingMesh is ${JSON.stringify(cfg.existingMesh)}, but ${problem}`);
  const id = cfg.addonIdentityObjectId ?? addonIdentityObjectId(state.addonProfiles);
  if (!id) {
    throw new Error(`cluster ${cfg.name} has no ${SECRETS_PROVIDER_ADDON} identity yet: add this stack's addonProfiles fragment `
      + "to the cluster first (az aks enable-addons --addons azure-keyvault-secrets-provider), or set istio-mesh-ca:ca.cluster.addonIdentityObjectId");
  }
  return id;
}

/** Team-owned cluster: the add-on identity from config, or from a lookup checked at preview. */
export function teamClusterAddonIdentity(cfg: FragmentsClusterConfig, parent: pulumi.Resource): pulumi.Output<string> {
  if (!cfg.lookup) return pulumi.output(cfg.addonIdentityObjectId!);
  const found = containerservice.getManagedClusterOutput({ resourceGroupName: cfg.resourceGroupName, resourceName: cfg.name }, { parent });
  return found.apply((state) => teamClusterIdentityFrom(cfg, state));
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The contract every CA backend yields. The Istio install consumes it and never asks
 * which backend produced it: adding a backend is one new file under components/ca/
 * plus one entry in components/ca/registry.ts.
 */

/** The CA material Istio works with, as PEM strings. */
export interface CaMaterial {
  /** Every root the mesh trusts, one PEM each (two during a root rotation). */
  readonly rootCerts: pulumi.Output<string[]>;
  /** `root-cert.pem`: the roots above, concatenated. */
  readonly rootCertBundle: pulumi.Output<string>;
  /**
   * The signing (intermediate) certificate istiod uses, `ca-cert.pem`. Undefined for backends where
   * istiod does not sign (for example when an external signer issues workload certificates).
   */
  readonly intermediateCert?: pulumi.Output<string>;
  /** `ca-key.pem`, always a Pulumi secret. */
  readonly intermediateKey?: pulumi.Output<string>;
  /** `cert-chain.pem`: the intermediate, then the root that signed it. */
  readonly certChain?: pulumi.Output<string>;
}

/** A ClusterRole rule, as Kubernetes spells it. */
export type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** What istiod needs from a backend, as data. */
export interface IstiodContribution {
  /** Environment variables for the `discovery` container (istiod chart `pilot.env`). */
  readonly env: Record<string, pulumi.Input<string>>;
  /** Pod annotations for istiod (istiod chart `pilot.podAnnotations`). */
  readonly podAnnotations: Record<string, pulumi.Input<string>>;
  /** A fragment deep-merged into `meshConfig`. */
  readonly meshConfig: pulumi.Input<Record<string, unknown>>;
  /** Extra ClusterRole rules for istiod's service account. */
  readonly clusterRoleRules: PolicyRule[];
  /** Whether istiod reads its CA from the `cacerts` Secret (then `material` must be complete). */
  readonly usesCacertsSecret: boolean;
  /** Resources that must exist before istiod starts (issuers, external signers, ...). */
  readonly dependsOn: pulumi.Resource[];
  /**
   * Per-namespace proxy environment (namespace → variables), applied as one Istio `ProxyConfig`
   * per namespace after Istio's CRDs exist — e.g. `ISTIO_META_CERT_SIGNER` per namespace.
   */
  readonly namespaceProxyEnv?: Record<string, Record<string, pulumi.Input<string>>>;
  /**
   * istiod chart values that have no env/meshConfig equivalent (extra volumes, `global.caAddress`),
   * deep-merged before the user's own overrides.
   */
  readonly chartValues?: pulumi.Input<Record<string, unknown>>;
  /**
   * Values for env entries that the istiod chart's Deployment writes itself from other values (e.g.
   * `PILOT_CERT_PROVIDER`, from `global.pilotCertProvider`, which the sidecar injection template also
   * reads). Never in `env`: that would duplicate the entry. The install replaces the chart's own entry
   * in the rendered Deployment (components/istio/deploymentEnv.ts), as Istio's
   * `components.pilot.k8s.env` overlay does.
   */
  readonly deploymentEnvOverrides?: Record<string, string>;
}

/** The output shape of every CA backend component. */
export interface CaBackend {
  /** The backend's config name, for inventories and messages (never for branching). */
  readonly kind: string;
  readonly material: CaMaterial;
  readonly istiod: IstiodContribution;
  /**
   * Set when the backend itself created the cluster (e.g. an AKS ManagedCluster): the provider
   * for that cluster, used instead of the one built from `clusters[]` config.
   */
  readonly clusterProvider?: k8s.Provider;
  /**
   * Backend-specific public values (never keys), exported under `clusters.<name>.backendOutputs` —
   * e.g. the AKS mesh profile fragments for a cluster defined in another stack.
   */
  readonly stackOutputs?: Record<string, pulumi.Input<unknown>>;
}

/** Shortcut for the common contribution of backends that only fill the `cacerts` Secret. */
export function cacertsOnlyContribution(): IstiodContribution {
  return { env: {}, podAnnotations: {}, meshConfig: {}, clusterRoleRules: [], usesCacertsSecret: true, dependsOn: [] };
}

/** `root-cert.pem` is the roots concatenated, each ending in a newline. */
export function joinPems(pems: string[]): string {
  return pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

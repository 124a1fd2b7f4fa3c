import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The contract every CA backend yields. The Istio install consumes it and never asks which backend
 * produced it: a new backend is one component under components/ca/ (exported from its index.ts); the
 * stack program gets it from a config adapter config/backends/<backend>.ts registered by one entry in
 * config/backends/index.ts (the steps: README, "Adding a backend").
 */

/** The CA material Istio works with, as PEM strings. */
export interface CaMaterial {
  /** Every root the mesh trusts, one PEM each (two during a root rotation). */
  readonly rootCerts: pulumi.Output<string[]>;
  /** `root-cert.pem`: the roots above, concatenated. */
  readonly rootCertBundle: pulumi.Output<string>;
  /** `ca-cert.pem`: the certificate that signs workload leaves, when the backend knows it. */
  readonly intermediateCert?: pulumi.Output<string>;
  /** `ca-key.pem`, always a Pulumi secret. */
  readonly intermediateKey?: pulumi.Output<string>;
  /** `cert-chain.pem`: the intermediate, then the root that signed it. */
  readonly certChain?: pulumi.Output<string>;
}

/** Material complete enough for istiod's plugged-in CA: the four `cacerts` files. */
export type CompleteCaMaterial = Required<CaMaterial>;

/**
 * How istiod gets its signing CA:
 * - `cacerts`: from the `cacerts` Secret in its namespace, which the Istio install writes from `material`;
 * - `external`: from somewhere the backend arranged itself (files a Vault agent renders, the AKS
 *   add-on's CSI mount, a Kubernetes CSR signer, istio-csr); `material` holds what the backend knows
 *   (always the roots) for outputs and inventories.
 */
export type CaDelivery =
  | { readonly kind: "cacerts"; readonly material: CompleteCaMaterial }
  | { readonly kind: "external"; readonly material: CaMaterial };

/** A ClusterRole rule, as Kubernetes spells it. */
export type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** Environment variables (or pod annotations) for istiod; the map itself may be an output. */
export type StringMap = pulumi.Input<Record<string, pulumi.Input<string>>>;

/** What istiod needs from a backend, as data. */
export interface IstiodSettings {
  /**
   * The one channel for istiod's environment (`discovery` container, istiod chart `pilot.env`).
   * The Istio install merges it with the features' env and refuses two sources that disagree.
   */
  readonly env: StringMap;
  /** Pod annotations for istiod (istiod chart `pilot.podAnnotations`). */
  readonly podAnnotations: StringMap;
  /** A fragment deep-merged into `meshConfig`. */
  readonly meshConfig: pulumi.Input<Record<string, unknown>>;
  /** Extra ClusterRole rules for istiod's service account. */
  readonly clusterRoleRules: PolicyRule[];
  /** Resources that must exist before istiod starts (issuers, external signers, ...). */
  readonly dependsOn: pulumi.Resource[];
  /**
   * Per-namespace proxy environment (namespace → variables), applied as one Istio `ProxyConfig`
   * per namespace after Istio's CRDs exist — e.g. `ISTIO_META_CERT_SIGNER` per namespace.
   */
  readonly namespaceProxyEnv?: Record<string, Record<string, pulumi.Input<string>>>;
  /**
   * istiod chart values that are neither env nor pod annotations nor meshConfig (extra volumes,
   * `global.caAddress`, `global.certSigners`), deep-merged before the user's own overrides.
   * `pilot.env` and `pilot.podAnnotations` are refused here: they go through `env`/`podAnnotations`.
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
  /** The backend's name (`selfSigned`, `vault`, ...), for inventories and messages; never for branching. */
  readonly backendName: string;
  /** Where istiod's CA comes from, with the material this backend knows. */
  readonly delivery: CaDelivery;
  /** What istiod's install must carry for this backend. */
  readonly istiodSettings: IstiodSettings;
  /**
   * Set when the backend itself created the cluster (e.g. an AKS ManagedCluster): the provider
   * for that cluster, used instead of the one the composition built.
   */
  readonly clusterProvider?: k8s.Provider;
  /**
   * Backend-specific public values (never keys), exported under `clusters.<name>.backendOutputs` —
   * e.g. the AKS mesh profile fragments for a cluster defined in another stack.
   */
  readonly stackOutputs?: Record<string, pulumi.Input<unknown>>;
  /**
   * The backend's first writes to its own CA server (not to the cluster), which everything the
   * composition creates in the cluster waits for: credentials the server refuses then stop an
   * update before anything lands in the cluster. Absent when the backend has no server of its own
   * (selfSigned, provided) or writes into the cluster itself (certManager).
   */
  readonly clusterWaitsFor?: pulumi.Resource[];
}

/** istiod settings of a backend that asks nothing of istiod beyond its CA delivery. */
export function noIstiodSettings(dependsOn: pulumi.Resource[] = []): IstiodSettings {
  return { env: {}, podAnnotations: {}, meshConfig: {}, clusterRoleRules: [], dependsOn };
}

// PEM joining lives with the rest of PEM handling; re-exported here, where backends have always found it.
export { joinPems } from "./pem/bundle";

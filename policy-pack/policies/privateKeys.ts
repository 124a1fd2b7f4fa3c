import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import {
  MANDATORY,
  configWithDefaults,
  isCustomResourceType,
  kubernetesKind,
  knownPath,
  privateKeyPaths,
  stringList,
} from "./common";

/**
 * Private keys belong in Kubernetes Secrets (and Pulumi secrets), nowhere else: ConfigMaps are
 * readable by far more principals, annotations and labels are copied into events and tooling,
 * Helm values are stored in the release record, and custom resource specs are readable cluster-wide.
 */

const HELM_VALUE_TYPES = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release"];

/** Where a resource may carry a private key it should not, as [label, value] pairs to scan. */
function placesToScan(type: string, props: Record<string, unknown>): [string, unknown][] {
  const k = kubernetesKind(type);
  if (!k) return [];
  const places: [string, unknown][] = [
    ["metadata.annotations", knownPath(props, "metadata", "annotations")],
    ["metadata.labels", knownPath(props, "metadata", "labels")],
  ];
  if (type === "kubernetes:core/v1:ConfigMap") {
    places.push(["data", knownPath(props, "data")], ["binaryData", knownPath(props, "binaryData")]);
  }
  // helm.v3.Chart is a local component whose inputs never reach policies (pulumi-kubernetes#2144);
  // its rendered ConfigMaps and annotations are checked one by one instead.
  if (HELM_VALUE_TYPES.includes(type)) places.push(["values", knownPath(props, "values")]);
  if (isCustomResourceType(type)) places.push(["spec", knownPath(props, "spec")]);
  return places;
}

export const noPrivateKeyOutsideSecrets: ResourceValidationPolicy = {
  name: "no-private-key-outside-secrets",
  description:
    "No PEM private key in a ConfigMap, an annotation, a label, Helm chart values or a custom resource spec; keep keys in Secrets.",
  enforcementLevel: MANDATORY,
  severity: "critical",
  validateResource: (args, reportViolation) => {
    for (const [place, value] of placesToScan(args.type, args.props)) {
      for (const at of privateKeyPaths(value)) {
        reportViolation(
          `a PEM private key in ${place}${at === "." ? "" : `.${at}`}; move it to a Kubernetes Secret and reference the Secret.`,
        );
      }
    }
  },
};

export interface CacertsConfig {
  /** Namespaces istiod reads `cacerts` from: istio-system, aks-istio-system on the AKS add-on. */
  istioNamespaces: string[];
  /** Name of the plugged-in CA Secret istiod reads. */
  secretName: string;
}

const CACERTS_DEFAULTS: CacertsConfig = { istioNamespaces: ["istio-system"], secretName: "cacerts" };

export const cacertsOnlyInIstioNamespace: ResourceValidationPolicy = {
  name: "cacerts-only-in-istio-namespace",
  description: "The `cacerts` Secret holds the mesh's signing key: it may exist only in the Istio namespace.",
  enforcementLevel: MANDATORY,
  severity: "critical",
  configSchema: {
    properties: {
      istioNamespaces: stringList(
        "Namespaces istiod runs in (aks-istio-system on the AKS add-on).",
        CACERTS_DEFAULTS.istioNamespaces,
      ),
      secretName: {
        type: "string",
        default: CACERTS_DEFAULTS.secretName,
        description: "Name of the plugged-in CA Secret.",
      },
    },
  },
  // Direct reads: a name or namespace unknown during preview makes the SDK report "could not run".
  validateResource: validateResourceOfType(Secret, (secret, args, reportViolation) => {
    const cfg = configWithDefaults<CacertsConfig>(args.getConfig, CACERTS_DEFAULTS);
    if (secret.metadata?.name !== cfg.secretName) return;
    const namespace = secret.metadata?.namespace ?? "default";
    if (!cfg.istioNamespaces.includes(namespace)) {
      reportViolation(
        `Secret ${cfg.secretName} (the mesh's CA key) is in namespace ${namespace}; it may only be in ${cfg.istioNamespaces.join(", ")}.`,
      );
    }
  }),
};

export const privateKeyPolicies = [noPrivateKeyOutsideSecrets, cacertsOnlyInIstioNamespace];

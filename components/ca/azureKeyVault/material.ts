import * as pulumi from "@pulumi/pulumi";
import { CaMaterial, joinPems } from "../contract";
import { IstiodAdditions, CaLifecycle, clusterCaMaterial, rootResourceName } from "../lifecycle";
import { defaultCertChain, splitPemCerts } from "../pem";
import { KeyVaultMaterialSettings } from "./settings";
import { IntermediateCaTransform } from "../tlsCa";

export interface MaterialTarget {
  /** The cluster the intermediate serves (its `L=`). */
  readonly clusterName: string;
  /** For the intermediate's default SAN `istiod.<namespace>.svc`. */
  readonly istioNamespace: string;
}

/** The four Key Vault objects' material, and the lifecycle's istiod values when the lifecycle supplies it. */
export interface KeyVaultMaterial {
  readonly material: Required<CaMaterial>;
  /** Unset for `provided` PEMs (no lifecycle). On the AKS add-on these values change nothing (see docs/aks.md). */
  readonly istiodAdditions?: pulumi.Output<IstiodAdditions>;
}

/**
 * Where the four Key Vault objects come from. `generate`: the CA lifecycle (components/ca/lifecycle) —
 * the stack's roots for the current rotation phase and the cluster's intermediate, issued here by the
 * phase's signing root or read from a root CA stack; `provided`: PEMs from secret config.
 * The key is a Pulumi secret either way.
 */
export function caMaterialFor(
  name: string,
  source: KeyVaultMaterialSettings,
  target: MaterialTarget,
  parent: pulumi.Resource,
  caLifecycle?: CaLifecycle,
  transform?: IntermediateCaTransform,
): KeyVaultMaterial {
  if (source.source === "generate") {
    if (!caLifecycle)
      throw new pulumi.ResourceError("material source generate needs the stack's CA lifecycle (caLifecycle)", parent);
    const clusterMaterial = clusterCaMaterial(`${name}-intermediate`, {
      shared: caLifecycle,
      clusterName: target.clusterName,
      istioNamespace: target.istioNamespace,
      transform,
      parent,
    });
    const intermediate = clusterMaterial.material!;
    return {
      material: {
        rootCerts: clusterMaterial.rootCerts,
        rootCertBundle: clusterMaterial.rootCertBundle,
        intermediateCert: intermediate.intermediateCert,
        intermediateKey: pulumi.secret(intermediate.intermediateKey),
        certChain: intermediate.certChain,
      },
      istiodAdditions: clusterMaterial.istiodAdditions,
    };
  }
  const rootPems = splitPemCerts(source.rootCertPem);
  const rootCerts = pulumi.output(rootPems);
  return {
    material: {
      rootCerts,
      rootCertBundle: rootCerts.apply(joinPems),
      intermediateCert: pulumi.output(source.caCertPem),
      intermediateKey: pulumi.secret(source.caKeyPem),
      certChain: pulumi.output(source.certChainPem ?? defaultCertChain(source.caCertPem, source.rootCertPem)),
    },
  };
}

/** The per-cluster component's type, whose child the root used to be. */
const COMPONENT_TYPE = "istio-mesh-ca:ca:AzureKeyVaultCa";

/**
 * Before the lifecycle, this backend made its root per cluster: `<cluster>-ca-root` under the
 * `<cluster>-ca` component. The lifecycle's first root is `<shared>-root` at top level; this alias
 * (on that one resource only, its children follow by name) keeps an existing stack's root instead of
 * replacing the root in service. Pure apart from `pulumi.createUrn`.
 */
export function historicRootAlias(sharedName: string, clusterName: string): pulumi.ResourceTransformation {
  const current = rootResourceName(sharedName, 1);
  return (a) =>
    a.type === "istio-mesh-ca:ca:RootCa" && a.name === current
      ? {
          props: a.props,
          opts: pulumi.mergeOptions(a.opts, {
            aliases: [
              { name: `${clusterName}-ca-root`, parent: pulumi.createUrn(`${clusterName}-ca`, COMPONENT_TYPE) },
            ],
          }),
        }
      : undefined;
}

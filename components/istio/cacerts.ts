import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaMaterial } from "../ca/contract";

/**
 * Options every Kubernetes provider that carries a `cacerts` Secret needs. Without
 * `enableSecretMutable`, the provider REPLACES a Secret whose data changes, and since `cacerts` has a
 * fixed name it deletes it first (pulumi-kubernetes `provider.go` Diff: deleteBeforeReplace for named
 * objects): every rotation would leave istio-system without `cacerts` for a moment, and an istiod
 * starting then falls back to a self-signed CA. With it, a rotation is one in-place update (found by
 * test/e2e/localStack.test.ts through the real provider). Pass it to your own providers too.
 */
export const MESH_PROVIDER_OPTIONS = { enableSecretMutable: true } as const;

export interface CacertsSecretArgs {
  /** The namespace istiod runs in. */
  readonly namespace: pulumi.Input<string>;
  /** Complete CA material; the key must already be a Pulumi secret. */
  readonly material: CaMaterial;
  /** The Kubernetes provider of the target cluster, created with `MESH_PROVIDER_OPTIONS` (see there). */
  readonly provider: k8s.Provider;
}

/** Fails early when a backend claims `cacerts` but leaves part of the material out. */
export function requireCompleteMaterial(material: CaMaterial, context: string): Required<CaMaterial> {
  const missing = (["intermediateCert", "intermediateKey", "certChain"] as const).filter((k) => material[k] === undefined);
  if (missing.length > 0) {
    throw new Error(`${context}: the CA backend uses the cacerts Secret but provides no ${missing.join(", ")}`);
  }
  return material as Required<CaMaterial>;
}

/**
 * The `cacerts` Secret istiod reads its plugged-in CA from (istio `pilot/pkg/bootstrap/istio_ca.go`).
 * The whole data map is a Pulumi secret.
 */
export class CacertsSecret extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: CacertsSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:istio:CacertsSecret", name, {}, opts);
    const m = requireCompleteMaterial(args.material, name);
    this.secret = new k8s.core.v1.Secret(`${name}-secret`, {
      metadata: {
        name: "cacerts",
        namespace: args.namespace,
        labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca", "istio.io/ca-source": "plugged-in" },
      },
      type: "Opaque",
      stringData: pulumi.secret({
        "ca-cert.pem": m.intermediateCert,
        "ca-key.pem": m.intermediateKey,
        "root-cert.pem": m.rootCertBundle,
        "cert-chain.pem": m.certChain,
      }),
    }, { parent: this, provider: args.provider });
    this.registerOutputs({});
  }
}

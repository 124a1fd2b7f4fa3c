import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CompleteCaMaterial } from "../ca/contract";
import { MANAGED_BY_LABELS, MeshComponent } from "../shared/meshComponent";
import { Transform, transformed } from "../shared/transform";

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
  /** The four files; the key must already be a Pulumi secret. */
  readonly material: CompleteCaMaterial;
  /** The Kubernetes provider of the target cluster, created with `MESH_PROVIDER_OPTIONS` (see there). */
  readonly provider: k8s.Provider;
  /**
   * Per-child escape hatch (partial args or a function). The Secret's data stays a Pulumi secret whatever
   * it does: @pulumi/kubernetes makes a Secret's `data` and `stringData` secret itself.
   */
  readonly transform?: { readonly secret?: Transform<k8s.core.v1.SecretArgs> };
}

/**
 * The `cacerts` Secret istiod reads its plugged-in CA from (istio `pilot/pkg/bootstrap/istio_ca.go`).
 * The whole data map is a Pulumi secret.
 */
export class CacertsSecret extends MeshComponent {
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: CacertsSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio", "CacertsSecret", name, opts);
    const m = args.material;
    this.secret = new k8s.core.v1.Secret(
      this.childName("secret"),
      ...transformed(
        args.transform?.secret,
        this.childName("secret"),
        {
          metadata: {
            name: "cacerts",
            namespace: args.namespace,
            labels: { ...MANAGED_BY_LABELS, "istio.io/ca-source": "plugged-in" },
          },
          type: "Opaque",
          stringData: pulumi.secret({
            "ca-cert.pem": m.intermediateCert,
            "ca-key.pem": m.intermediateKey,
            "root-cert.pem": m.rootCertBundle,
            "cert-chain.pem": m.certChain,
          }),
        },
        { parent: this, provider: args.provider },
      ),
    );
    this.registerOutputs({});
  }
}

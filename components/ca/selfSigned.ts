import * as pulumi from "@pulumi/pulumi";
import { CaBackend, CaDelivery, IstiodSettings, noIstiodSettings } from "./contract";
import { CaLifecycle, clusterCaMaterial, withIstiodAdditions } from "./lifecycle";
import { DEFAULT_ISTIO_NAMESPACE } from "../istio/versions";
import { MeshComponent } from "../shared/meshComponent";
import { IntermediateCaTransform } from "./tlsCa";

/**
 * Self-signed backend (Istio's "plug in CA certificates" procedure): an offline-style root in this stack and one
 * intermediate per
 * cluster, handed to istiod through the `cacerts` Secret.
 */

export interface SelfSignedCaArgs {
  /** The stack's CA lifecycle: the roots of the current phase, or a root stack's material. */
  readonly caLifecycle: CaLifecycle;
  /** Cluster name: the intermediate's `L=` (and its key in a root stack's outputs). */
  readonly clusterName: string;
  /**
   * Namespace istiod runs in: the intermediate's default SAN `istiod.<namespace>.svc`.
   * @default "istio-system"
   */
  readonly istioNamespace?: string;
  /**
   * Per-child escape hatch (partial args or a function) for the cluster's intermediate: its key, CSR
   * and certificate (not with a root stack source, which issues it elsewhere).
   */
  readonly transform?: { readonly intermediate?: IntermediateCaTransform };
}

/** A cluster's CA from the self-signed root: the intermediate goes into `cacerts`. */
export class SelfSignedCa extends MeshComponent implements CaBackend {
  public readonly backendName = "selfSigned";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;

  constructor(name: string, args: SelfSignedCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "SelfSignedCa", name, opts);
    const offline = clusterCaMaterial(this.childName("intermediate"), {
      shared: args.caLifecycle,
      clusterName: args.clusterName,
      istioNamespace: args.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE,
      transform: args.transform?.intermediate,
      parent: this,
    });
    const material = offline.material!;
    this.delivery = { kind: "cacerts", material };
    this.istiodSettings = withIstiodAdditions(noIstiodSettings(), offline.istiodAdditions, this);
    this.registerOutputs({ rootCertBundle: material.rootCertBundle, certChain: material.certChain });
  }
}

import * as pulumi from "@pulumi/pulumi";
import { GeneratedLifecycle, LifecycleState, RootCaSettings } from "../components/ca/lifecycle";
import { readPreviousDeployment } from "./previousDeployment";

/**
 * What a root CA stack exports; cluster stacks read it with a StackReference
 * (`ca.intermediateSource: { kind: rootStack, stack: <org>/<project>/<this stack> }`).
 * Certificates are public (every workload sees the chain in each handshake), so they stay plain:
 * readable with `pulumi stack output`, diffable, and checkable without decrypting. Intermediate keys
 * are a separate top-level output so that only they are secret. The root key is never exported.
 */
export type RootCaOutputs = {
  /** Every root trusted in the current phase, oldest first. */
  rootCerts: pulumi.Output<string[]>;
  /** `root-cert.pem`. */
  rootCertBundle: pulumi.Output<string>;
  /** Per cluster: `ca-cert.pem` and `cert-chain.pem`. */
  intermediates: Record<string, { intermediateCert: pulumi.Output<string>; certChain: pulumi.Output<string> }>;
  /** Per cluster: `ca-key.pem`; the whole output is a secret. */
  intermediateKeys: pulumi.Output<Record<string, string>>;
  /** Phase and generations, read back by the next deployment of this stack and by every cluster stack. */
  caLifecycle: pulumi.Output<LifecycleState>;
};

/** Groups one cluster's intermediate in the root stack. */
class ClusterIntermediate extends pulumi.ComponentResource {
  public readonly material: ReturnType<GeneratedLifecycle["intermediate"]>;

  constructor(
    name: string,
    ca: GeneratedLifecycle,
    cluster: RootCaSettings["clusters"][number],
    defaults: RootCaSettings["intermediate"],
  ) {
    super("istio-mesh-ca:stacks:ClusterIntermediate", name, {});
    this.material = ca.intermediate(
      `${name}-intermediate`,
      {
        clusterName: cluster.name,
        istioNamespace: cluster.istioNamespace,
        params: cluster.intermediate ?? defaults,
      },
      { parent: this },
    );
    this.registerOutputs({ intermediateCert: this.material.intermediateCert });
  }
}

/** The root CA composition: the root (and, while rotating, the new root), one intermediate per cluster. */
export function rootCaStack(config: RootCaSettings): RootCaOutputs {
  // The phase check compares with what this stack's last deployment recorded (read here, by the stack program).
  const previous = readPreviousDeployment("mesh-lifecycle-previous");
  const ca = new GeneratedLifecycle("mesh", {
    ...config,
    previous: previous.caLifecycle,
    settingsName: "istio-mesh-ca:rootCa",
  });
  const intermediates: RootCaOutputs["intermediates"] = {};
  const keys: Record<string, pulumi.Output<string>> = {};
  for (const cluster of config.clusters) {
    const { material } = new ClusterIntermediate(cluster.name, ca, cluster, config.intermediate);
    intermediates[cluster.name] = { intermediateCert: material.intermediateCert, certChain: material.certChain };
    keys[cluster.name] = material.intermediateKey;
  }
  return {
    rootCerts: ca.rootCerts,
    rootCertBundle: ca.rootCertBundle,
    intermediates,
    intermediateKeys: pulumi.secret(pulumi.output(keys)),
    caLifecycle: ca.state,
  };
}

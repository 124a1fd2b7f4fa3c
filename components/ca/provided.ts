import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { CaBackend, CaDelivery, IstiodSettings, noIstiodSettings } from "./contract";
import { trustBundleAdditions, withIstiodAdditions } from "./lifecycle/istiod";
import { MeshComponent } from "../shared/meshComponent";
import { MaterialCheck, describeCert, fingerprintOf, issuerOf, signingRoot, splitPemCerts, subjectOf } from "./pem";

/**
 * `provided` backend: the team brings its own CA material — the output of Istio's
 * `tools/certs/Makefile.selfsigned.mk` (`root-ca`, then `<cluster>-cacerts`), or an intermediate issued
 * by a corporate PKI whose root key never touches Pulumi — and this backend puts it into each cluster's
 * `cacerts` Secret. It creates no key and no certificate, so it needs no tls provider. The material is
 * checked (components/ca/pem/supplied.ts) before it gets here: the stack program does so while it validates
 * its config (config/backends/provided.ts). See docs/provided.md.
 */

/** One cluster's supplied material (PEM). */
export interface ProvidedClusterMaterial {
  /** `ca-cert.pem`: the intermediate istiod signs workload certificates with. */
  readonly caCertPem?: string;
  /** `ca-key.pem`: its key (a secret). */
  readonly caKeyPem?: string;
  /** `cert-chain.pem`: caCertPem, then each issuer up to the root. Default: caCertPem + the root that signed it. */
  readonly certChainPem?: string;
}

/**
 * What the last deployment of this stack exported for a cluster: its trust bundle and intermediate.
 * The stack program reads it back (stacks/previousDeployment.ts) and passes it in `ProvidedRoots.deployed`.
 */
export interface DeployedMaterial {
  readonly rootCertBundle?: string;
  readonly intermediateCert?: string;
}

/**
 * Pure: whether going from the material deployed last time to the supplied material keeps every
 * workload's trust — the order of a root rotation, which config alone cannot show:
 * - a new intermediate must chain to a root the workloads already trust (deployed bundle): add the
 *   new root to rootCertPem first (dual), then switch intermediates (cutover);
 * - the root that signed the deployed intermediate must stay in the bundle: switch intermediates to
 *   the new root first (cutover), then drop the old root (finalize).
 * Returns why not, naming the step to apply first; undefined on the first deployment.
 */
export function deploymentOrderProblem(
  cluster: string,
  deployed: DeployedMaterial | undefined,
  rootCertPem: string,
  caCertPem: string,
  where: { caCertPem: string; rootCertPem: string } = {
    caCertPem: `clusters.${cluster}.caCertPem`,
    rootCertPem: "rootCertPem",
  },
): string | undefined {
  if (!deployed?.rootCertBundle || !deployed.intermediateCert) return undefined;
  const parse = (bundle: string) => splitPemCerts(bundle).map((p) => new crypto.X509Certificate(p));
  const [oldRoots, newRoots] = [parse(deployed.rootCertBundle), parse(rootCertPem)];
  const has = (set: crypto.X509Certificate[], c: crypto.X509Certificate) =>
    set.some((x) => x.fingerprint256 === c.fingerprint256);
  const list = (set: crypto.X509Certificate[]) => set.map(describeCert).join(", ");
  const inter = new crypto.X509Certificate(caCertPem);
  const newAnchor = signingRoot(inter, newRoots);
  if (newAnchor && !has(oldRoots, newAnchor)) {
    return `${where.caCertPem}: the intermediate ${describeCert(inter)} chains to root ${describeCert(newAnchor)}, which the deployed trust bundle (${list(oldRoots)}) does not hold yet: workloads would reject every certificate it issues. Root rotation step 1 first: deploy rootCertPem with old and new root and the current intermediate, wait 24h (or restart workloads), then switch the intermediate (docs/rotation.md)`;
  }
  const oldInter = new crypto.X509Certificate(deployed.intermediateCert);
  const oldAnchor = signingRoot(oldInter, oldRoots);
  if (oldAnchor && !has(newRoots, oldAnchor)) {
    return `${where.rootCertPem}: drops root ${describeCert(oldAnchor)}, which signed the deployed intermediate ${describeCert(oldInter)} of cluster ${cluster}: workload certificates it issued would stop verifying. Root rotation step 2 first: keep both roots, deploy intermediates signed by the new root, wait 24h (or restart workloads), then drop the old root (docs/rotation.md)`;
  }
  return undefined;
}

/** What the backend's shared step holds: the checked roots and istiod's values for the bundle. */
export interface ProvidedRoots {
  readonly rootCerts: string[];
  readonly rootCertBundle: string;
  /** Verified paths per cluster (config validation already refused anything broken). */
  readonly checks: Record<string, MaterialCheck>;
  /**
   * What the last deployment of this stack exported per cluster, which the deployment-order check
   * (`deploymentOrderProblem`) compares the supplied material with. The component never reads its own
   * stack: the stack program does and passes it here. `undefined` (or no entry for a cluster) means a
   * first deployment: any material is accepted. Required, so that leaving the check off is explicit.
   */
  readonly deployed: pulumi.Input<Record<string, DeployedMaterial> | undefined>;
}

export interface ProvidedCaArgs {
  /** The stack's checked roots, per-cluster checks and last deployment (see `ProvidedRoots`). */
  readonly roots: ProvidedRoots;
  /** The cluster whose material this is; its entry in `roots.checks` must exist. */
  readonly clusterName: string;
  /** The cluster's PEMs; `caKeyPem` must be a secret where it came from. */
  readonly material: ProvidedClusterMaterial;
  /**
   * How messages name the supplied PEMs (the stack program passes its config keys).
   * @default { caCertPem: "clusters.<cluster>.caCertPem", rootCertPem: "rootCertPem" }
   */
  readonly where?: { readonly caCertPem: string; readonly rootCertPem: string };
}

/**
 * A cluster's CA from supplied PEMs, for the `cacerts` Secret. Two roots in the bundle (a root
 * rotation) make istiod trust both (`ISTIO_MULTIROOT_MESH`) and restart once per bundle change
 * (the lifecycle layer's `trustBundleAdditions`).
 */
export class ProvidedCa extends MeshComponent implements CaBackend {
  public readonly backendName = "provided";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  public readonly stackOutputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: ProvidedCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "ProvidedCa", name, opts);
    const check = args.roots.checks[args.clusterName];
    const m = args.material;
    const caCertPem = m.caCertPem;
    if (!check?.certChainPem || !caCertPem || !m.caKeyPem) {
      this.fail(
        `cluster ${args.clusterName}: no checked material (roots.checks["${args.clusterName}"] with a chain, caCertPem and caKeyPem are required; check the PEMs with checkSuppliedMaterial first)`,
      );
    }
    // Every value waits for the deployment-order check: a refused step changes nothing.
    const ok = pulumi.output(args.roots.deployed).apply((deployed) => {
      const why = deploymentOrderProblem(
        args.clusterName,
        deployed?.[args.clusterName],
        args.roots.rootCertBundle,
        caCertPem,
        args.where,
      );
      if (why) this.fail(why);
      return true;
    });
    const gate = <T>(v: T) => ok.apply(() => v);
    const material = {
      rootCerts: gate(args.roots.rootCerts),
      rootCertBundle: gate(args.roots.rootCertBundle),
      intermediateCert: gate(splitPemCerts(caCertPem)[0]), // the certificate only, without any text around it
      // `pulumi config set` strips the trailing newline of piped files: give the PEM its newline back.
      intermediateKey: pulumi.secret(gate(m.caKeyPem.endsWith("\n") ? m.caKeyPem : `${m.caKeyPem}\n`)),
      certChain: gate(check.certChainPem),
    };
    const multiRoot = args.roots.rootCerts.length > 1;
    this.delivery = { kind: "cacerts", material };
    this.istiodSettings = withIstiodAdditions(
      noIstiodSettings(),
      material.rootCertBundle.apply((bundle) => trustBundleAdditions(bundle, multiRoot)),
      this,
    );
    this.stackOutputs = {
      /** The verified path, intermediate first: public facts only (subjects, fingerprints, validity, path length). */
      chain: (check.path ?? []).map((p) => ({
        position: p.position,
        subject: subjectOf(p.cert),
        issuer: issuerOf(p.cert),
        fingerprintSha256: fingerprintOf(p.cert),
        notAfter: new Date(p.cert.validTo).toISOString(),
        ...(p.pathLenConstraint !== undefined ? { pathLenConstraint: p.pathLenConstraint } : {}),
      })),
      rootCount: args.roots.rootCerts.length,
    };
    this.registerOutputs({ rootCertBundle: material.rootCertBundle, certChain: material.certChain });
  }
}

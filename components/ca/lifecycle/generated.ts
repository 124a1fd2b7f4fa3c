import * as pulumi from "@pulumi/pulumi";
import { IntermediateParams, RootParams } from "../certParams";
import { CaMaterial, joinPems } from "../contract";
import { IntermediateCa, RootCa, SigningRoot } from "../tlsCa";
import {
  CaLifecycleArgs,
  ClusterCa,
  intermediateNameFor,
  lifecycleSettings,
  lifecycleSettingsProblems,
  previousStateOf,
  reportFindings,
  rootResourceName,
} from "./common";
import { CheckedCert, expiryFindings } from "./guards";
import { IstiodAdditions, istiodAdditionsFor } from "./istiod";
import { LifecycleState, checkTransition, phasePlan, signerGeneration } from "./phases";
import { DeploymentRef, ExpirySettings, desiredState, resolveIntermediate, resolveRoot } from "./settings";

/** `GeneratedLifecycle` args: everything but the intermediate source (this mode issues them itself). */
export type GeneratedLifecycleArgs = Omit<CaLifecycleArgs, "intermediateSource">;

/**
 * The CA lifecycle of a stack that holds its roots (`intermediateSource.kind: generate`): the roots of
 * the current phase (created with the caller's `opts`, so the first root keeps its historic URN), the
 * signing root, and per cluster an intermediate named after its signer and generation. Every value it
 * hands out waits for the phase-transition check against `previous`, so a refused transition changes
 * nothing. Without `previous` there is nothing to check against (see `LifecycleCommonArgs.previous`).
 * One of the two `CaLifecycle`s (caLifecycle.ts; `createCaLifecycle`'s return type checks the fit).
 */
export class GeneratedLifecycle {
  public readonly mode = "generate";
  public readonly state: pulumi.Output<LifecycleState>;
  public readonly rootCerts: pulumi.Output<string[]>;
  public readonly rootCertBundle: pulumi.Output<string>;
  public readonly signingRoot: SigningRoot;
  public readonly istiodAdditions: pulumi.Output<IstiodAdditions>;
  public readonly restartDeployments: readonly DeploymentRef[];
  public readonly settingsName: string;
  /** The roots this stack holds in this phase, by generation. */
  public readonly roots: Readonly<Record<number, RootCa>>;

  private readonly intermediateDefaults: IntermediateParams;
  private readonly expiry: ExpirySettings;
  private readonly generations: { readonly signer: number; readonly intermediate: number };

  constructor(name: string, args: GeneratedLifecycleArgs, opts: pulumi.CustomResourceOptions = {}) {
    const settings = lifecycleSettings({ ...args, intermediateSource: { kind: "generate" } });
    const settingsName = args.settingsName ?? name;
    const problems = lifecycleSettingsProblems(settings);
    if (problems.length > 0)
      throw new Error(`${settingsName}: invalid CA lifecycle settings:\n  - ${problems.join("\n  - ")}`);
    this.settingsName = settingsName;
    this.expiry = settings.expiry;
    this.restartDeployments = settings.rotation.restartDeployments;
    this.intermediateDefaults = resolveIntermediate(settings.intermediate);

    const root = resolveRoot(settings.root);
    const desired = desiredState(root, settings.rotation);
    this.state = previousStateOf(args, settingsName).apply((prev) => {
      const why = checkTransition(prev, desired);
      if (why) throw new Error(`${settingsName}.rotation: ${why}`);
      return desired;
    });
    const plan = phasePlan(desired.rootPhase);
    const g = desired.rootGeneration;
    const keyWaitsFor = args.rootKeysWaitFor;
    const roots: Record<number, RootCa> = {
      [g]: new RootCa(rootResourceName(name, g), { params: root, keyWaitsFor }, opts),
    };
    if (plan.nextRootExists) {
      const next: RootParams = settings.rotation.newRoot ?? root;
      roots[g + 1] = new RootCa(rootResourceName(name, g + 1), { params: next, keyWaitsFor }, opts);
    }
    this.roots = roots;
    const signer = roots[signerGeneration(desired)];
    this.signingRoot = { certPem: this.gate(signer.certPem), keyPem: pulumi.secret(this.gate(signer.keyPem)) };
    this.generations = { signer: signerGeneration(desired), intermediate: desired.intermediateGeneration };
    // During dual and cutover the current root is on its way out: its expiry only warns.
    const rotating = plan.trusted.length > 1;
    const trusted = plan.trusted.map((t) =>
      t === "current"
        ? { role: `root (generation ${g})`, pem: roots[g].certPem, retiring: rotating }
        : { role: `new root (generation ${g + 1})`, pem: roots[g + 1].certPem, retiring: false },
    );
    this.rootCerts = pulumi.all([this.state, pulumi.all(trusted.map((t) => t.pem))]).apply(([, pems]) => {
      const certs: CheckedCert[] = trusted.map((t, i) => ({ role: t.role, pem: pems[i], retiring: t.retiring }));
      reportFindings(expiryFindings(certs, this.expiry, new Date()), `${settingsName}.expiry`);
      return pems;
    });
    this.rootCertBundle = this.rootCerts.apply(joinPems);
    this.istiodAdditions = pulumi
      .all([this.state, this.rootCertBundle])
      .apply(([s, bundle]) => istiodAdditionsFor(s, bundle));
  }

  /**
   * For backends that issue their intermediate elsewhere (e.g. Vault signs its own CSR with
   * `signingRoot`): the name to give it, so that a new signer or generation means a new key.
   */
  public intermediateResourceName(base: string): string {
    return intermediateNameFor(base, this.generations.signer, this.generations.intermediate);
  }

  /** A cluster's intermediate, issued by the signing root (signer and generation in its resource name). */
  public intermediate(name: string, cluster: ClusterCa, opts: pulumi.ComponentResourceOptions): Required<CaMaterial> {
    const ca = new IntermediateCa(
      this.intermediateResourceName(name),
      {
        root: this.signingRoot,
        params: cluster.params ?? this.intermediateDefaults,
        clusterName: cluster.clusterName,
        istioNamespace: cluster.istioNamespace,
        trustedRoots: this.rootCerts,
        transform: cluster.transform,
      },
      opts,
    );
    const cert = ca.material.intermediateCert.apply((pem) => {
      reportFindings(
        expiryFindings([{ role: `intermediate of cluster ${cluster.clusterName}`, pem }], this.expiry, new Date()),
        `${this.settingsName}.expiry`,
      );
      return pem;
    });
    return { ...ca.material, intermediateCert: cert };
  }

  /** Holds a value back until the transition check passed (it fails instead when the check fails). */
  private gate(v: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.all([this.state, v]).apply(([, x]) => x);
  }
}

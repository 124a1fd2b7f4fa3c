import * as pulumi from "@pulumi/pulumi";
import { CaMaterial, joinPems } from "../contract";
import {
  ClusterCa,
  LIFECYCLE_OUTPUT,
  LifecycleCommonArgs,
  lifecycleSettings,
  lifecycleSettingsProblems,
  previousStateOf,
  reportFindings,
} from "./common";
import { CheckedCert, expiryFindings, materialIssues } from "./guards";
import { IstiodAdditions, istiodAdditionsFor } from "./istiod";
import { LifecycleState, checkTransition, parseLifecycleState, phasePlan } from "./phases";
import { DeploymentRef, ExpirySettings } from "./settings";

/** `RootStackLifecycle` args: the root CA stack to follow, and the settings that apply in this mode. */
export interface RootStackLifecycleArgs extends LifecycleCommonArgs {
  /** The root CA stack (stacks/rootCa.ts), fully qualified: `<organization>/<project>/<stack>`. */
  readonly stack: string;
}

/** One cluster's published intermediate in a root stack's `intermediates` output. */
interface PublishedIntermediate {
  readonly intermediateCert: string;
  readonly certChain: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Pure: a root stack's `rootCerts` output; undefined when it is not a non-empty list of PEM strings. */
export function parseRootCerts(raw: unknown): string[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const pems = raw.filter((x): x is string => typeof x === "string");
  return pems.length === raw.length ? pems : undefined;
}

/** Pure: a cluster's entry of a root stack's `intermediates` output; undefined when absent or incomplete. */
export function publishedIntermediate(raw: unknown, cluster: string): PublishedIntermediate | undefined {
  const entry = isRecord(raw) ? raw[cluster] : undefined;
  if (!isRecord(entry)) return undefined;
  const { intermediateCert, certChain } = entry;
  return typeof intermediateCert === "string" && intermediateCert && typeof certChain === "string" && certChain
    ? { intermediateCert, certChain }
    : undefined;
}

/** Pure: a cluster's key in a root stack's `intermediateKeys` output; undefined when absent. */
export function publishedKey(raw: unknown, cluster: string): string | undefined {
  const key = isRecord(raw) ? raw[cluster] : undefined;
  return typeof key === "string" && key ? key : undefined;
}

/**
 * The CA lifecycle of a cluster stack whose roots and intermediates come from a root CA stack
 * (`intermediateSource.kind: rootStack`), read through a StackReference (`<name>-root-stack`, with the
 * caller's `opts`). It follows the root stack's phase and generations, and refuses a phase this stack
 * cannot take next from `previous` (each phase must reach every cluster stack before the root stack
 * moves on). Every value waits for that check. It holds no root and signs nothing.
 * One of the two `CaLifecycle`s (caLifecycle.ts; `createCaLifecycle`'s return type checks the fit).
 */
export class RootStackLifecycle {
  public readonly mode = "rootStack";
  public readonly state: pulumi.Output<LifecycleState>;
  public readonly rootCerts: pulumi.Output<string[]>;
  public readonly rootCertBundle: pulumi.Output<string>;
  /** Always undefined: the root stack signs the intermediates. */
  public readonly signingRoot: undefined = undefined;
  public readonly istiodAdditions: pulumi.Output<IstiodAdditions>;
  public readonly restartDeployments: readonly DeploymentRef[];
  public readonly settingsName: string;

  private readonly ref: pulumi.StackReference;
  private readonly stack: string;
  private readonly expiry: ExpirySettings;

  constructor(name: string, args: RootStackLifecycleArgs, opts: pulumi.CustomResourceOptions = {}) {
    const settings = lifecycleSettings({
      rotation: args.rotation,
      expiry: args.expiry,
      intermediateSource: { kind: "rootStack", stack: args.stack },
    });
    const settingsName = args.settingsName ?? name;
    const problems = lifecycleSettingsProblems(settings);
    if (problems.length > 0)
      throw new Error(`${settingsName}: invalid CA lifecycle settings:\n  - ${problems.join("\n  - ")}`);
    const stack = args.stack;
    this.settingsName = settingsName;
    this.stack = stack;
    this.expiry = settings.expiry;
    this.restartDeployments = settings.rotation.restartDeployments;
    const previous = previousStateOf(args, settingsName);

    this.ref = new pulumi.StackReference(`${name}-root-stack`, { name: stack }, opts);
    const fromRoot = this.ref.requireOutput(LIFECYCLE_OUTPUT).apply((raw) => {
      // Digests describe the root stack's own config; this stack follows phases and generations only.
      const { rootPhase, rootGeneration, intermediateGeneration } = parseLifecycleState(
        raw,
        `root stack ${stack}: output ${LIFECYCLE_OUTPUT}`,
      );
      return { rootPhase, rootGeneration, intermediateGeneration };
    });
    this.state = pulumi.all([previous, fromRoot]).apply(([prev, next]) => {
      const why = checkTransition(
        prev && {
          rootPhase: prev.rootPhase,
          rootGeneration: prev.rootGeneration,
          intermediateGeneration: prev.intermediateGeneration,
        },
        next,
      );
      if (why) {
        throw new Error(
          `${settingsName}.intermediateSource: root stack ${stack} is at ${next.rootPhase} (rootGeneration ${next.rootGeneration}) but this stack cannot follow: ${why}. Apply each phase to every cluster stack before moving the root stack on; roll the root stack back to the phase this stack can take next.`,
        );
      }
      return next;
    });
    this.rootCerts = pulumi.all([this.state, this.ref.requireOutput("rootCerts")]).apply(([s, raw]) => {
      const pems = parseRootCerts(raw);
      if (!pems) throw new Error(`${settingsName}.intermediateSource: root stack ${stack} exports no rootCerts`);
      const rotating = phasePlan(s.rootPhase).trusted.length > 1;
      const certs: CheckedCert[] = pems.map((pem, i) => ({
        role: i === 0 ? "root" : "new root",
        pem,
        retiring: rotating && i === 0,
      }));
      reportFindings(expiryFindings(certs, this.expiry, new Date()), `${settingsName}.expiry`);
      return pems;
    });
    this.rootCertBundle = this.rootCerts.apply(joinPems);
    this.istiodAdditions = pulumi
      .all([this.state, this.rootCertBundle])
      .apply(([s, bundle]) => istiodAdditionsFor(s, bundle));
  }

  /** Refused: this mode issues no intermediate; its material comes with `intermediate(...)`. */
  public intermediateResourceName(_base: string): string {
    throw new Error(
      `${this.settingsName}: intermediates come from the root stack; use clusterCaMaterial(...).material`,
    );
  }

  /** A cluster's intermediate as the root stack published it, checked against the trusted roots. */
  public intermediate(_name: string, cluster: ClusterCa, _opts: pulumi.ComponentResourceOptions): Required<CaMaterial> {
    const context = `intermediate of cluster ${cluster.clusterName}`;
    const missing = () =>
      new Error(
        `${this.settingsName}.intermediateSource: root stack ${this.stack} has no intermediate for cluster ${JSON.stringify(cluster.clusterName)}; add {name: ${cluster.clusterName}} to istio-mesh-ca:rootCa.clusters in that stack and update it first`,
      );
    const published = pulumi
      .all([this.state, this.ref.requireOutput("intermediates"), this.rootCerts])
      .apply(([, all, roots]) => {
        const entry = publishedIntermediate(all, cluster.clusterName);
        if (!entry) throw missing();
        const problems = materialIssues(
          entry.intermediateCert,
          roots,
          `${this.settingsName}.intermediateSource (${context})`,
        );
        if (problems.length > 0) throw new Error(problems.join("\n  - "));
        reportFindings(
          expiryFindings([{ role: context, pem: entry.intermediateCert }], this.expiry, new Date()),
          `${this.settingsName}.expiry`,
        );
        return entry;
      });
    const key = pulumi.secret(
      pulumi.all([this.state, this.ref.requireOutput("intermediateKeys")]).apply(([, keys]) => {
        const k = publishedKey(keys, cluster.clusterName);
        if (!k) throw missing();
        return k;
      }),
    );
    return {
      rootCerts: this.rootCerts,
      rootCertBundle: this.rootCertBundle,
      intermediateCert: published.apply((p) => p.intermediateCert),
      intermediateKey: key,
      certChain: published.apply((p) => p.certChain),
    };
  }
}

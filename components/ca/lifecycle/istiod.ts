import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { IstiodSettings } from "../contract";
import { mergeNamedMaps } from "../../shared/stringMaps";
import { LifecycleState, phasePlan } from "./phases";

/** What the CA lifecycle adds to istiod, in either mode. Pure, apart from the merge into a backend's settings. */

/** istiod pod annotation: changes (and so restarts istiod once) only when the trusted roots change. */
export const ROOT_BUNDLE_ANNOTATION = "istio-mesh-ca/root-bundle-sha256";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** What the lifecycle adds to istiod: env and pod annotations (merged through their one channel). */
export interface IstiodAdditions {
  readonly env: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
}

/** Pure: istiod's additions for a phase (see `CaLifecycle.istiodAdditions`). */
export function istiodAdditionsFor(state: LifecycleState, rootBundle: string): IstiodAdditions {
  if (state.rootPhase === "steady" && state.rootGeneration === 1) return { env: {}, podAnnotations: {} };
  return trustBundleAdditions(rootBundle, phasePlan(state.rootPhase).multiRoot);
}

/**
 * Pure: what istiod needs for a trust bundle — `ISTIO_MULTIROOT_MESH=true` while proxies must trust
 * more than one root, and the bundle's hash as a pod annotation, so istiod restarts once whenever the
 * trusted roots change. Also used by backends whose roots are supplied rather than phased (`provided`).
 */
export function trustBundleAdditions(rootBundle: string, multiRoot: boolean): IstiodAdditions {
  return {
    env: multiRoot ? { ISTIO_MULTIROOT_MESH: "true" } : {},
    podAnnotations: { [ROOT_BUNDLE_ANNOTATION]: sha256(rootBundle) },
  };
}

/**
 * A backend's istiod settings plus the lifecycle's additions, through the env and annotation channels;
 * a conflict is reported against `backend` (the component whose settings these are) when given.
 */
export function withIstiodAdditions(
  settings: IstiodSettings,
  additions: pulumi.Output<IstiodAdditions>,
  backend?: pulumi.Resource,
): IstiodSettings {
  return {
    ...settings,
    env: mergeNamedMaps(
      "istiod env",
      [
        { source: "the CA backend", values: settings.env },
        { source: "the CA lifecycle", values: additions.apply((a) => a.env) },
      ],
      backend,
    ),
    podAnnotations: mergeNamedMaps(
      "istiod pod annotation",
      [
        { source: "the CA backend", values: settings.podAnnotations },
        { source: "the CA lifecycle", values: additions.apply((a) => a.podAnnotations) },
      ],
      backend,
    ),
  };
}

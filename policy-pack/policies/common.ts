import { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";

/**
 * Helpers shared by the policies. Props reach policies through a proxy that throws on values unknown
 * during preview; the walkers here skip such values instead of aborting the whole check.
 */

/** A PEM private key block header (PKCS#1, PKCS#8, SEC1, encrypted, OpenSSH). */
const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;

/** Whether a string holds a PEM private key, as text or base64-encoded (ConfigMap binaryData, Secret data). */
export function holdsPrivateKey(value: string): boolean {
  if (PRIVATE_KEY_PEM.test(value)) return true;
  if (value.length < 40 || !/^[A-Za-z0-9+/=\s]+$/.test(value)) return false;
  return PRIVATE_KEY_PEM.test(Buffer.from(value, "base64").toString("latin1"));
}

/** Reads `obj[key]`, or undefined when the value is unknown during preview (the proxy throws). */
export function known(obj: unknown, key: string | number): unknown {
  if (obj === null || typeof obj !== "object") return undefined;
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Reads a nested path, skipping unknowns. */
export function knownPath(obj: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => known(v, k), obj);
}

/** Every dotted path under `value` whose string holds a PEM private key. */
export function privateKeyPaths(value: unknown, at = ""): string[] {
  if (typeof value === "string") return holdsPrivateKey(value) ? [at || "."] : [];
  if (value === null || typeof value !== "object") return [];
  const keys: (string | number)[] = Array.isArray(value) ? [...Array(value.length).keys()] : Object.keys(value);
  return keys.flatMap((k) =>
    privateKeyPaths(known(value, k), Array.isArray(value) ? `${at}[${k}]` : at ? `${at}.${k}` : String(k)),
  );
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → `<stack>` (policies are not told the stack otherwise). */
export function stackOfUrn(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m?.[1];
}

/** Kubernetes type tokens are `kubernetes:<group>/<version>:<Kind>` (core group: `core/v1`). */
export function kubernetesKind(type: string): { group: string; version: string; kind: string } | undefined {
  const m = /^kubernetes:([^/:]+)\/([^:]+):(.+)$/.exec(type);
  return m ? { group: m[1], version: m[2], kind: m[3] } : undefined;
}

/** Pulumi-kubernetes components and built-in API groups; everything else with a dotted group is a custom resource. */
const NOT_CUSTOM_GROUPS = /(^core$|^[a-z]+$|\.k8s\.io$|^helm\.sh$|^yaml$|^kustomize$)/;

export function isCustomResourceType(type: string): boolean {
  const k = kubernetesKind(type);
  return k !== undefined && !NOT_CUSTOM_GROUPS.test(k.group);
}

export const PEER_AUTHENTICATION_TYPES = [
  "kubernetes:security.istio.io/v1:PeerAuthentication",
  "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
];

/** A JSON-schema string array with a default, for policy config. */
export function stringList(description: string, defaults: string[]): PolicyConfigSchema["properties"][string] {
  return { type: "array", items: { type: "string" }, default: defaults, description };
}

/** Policy config merged over defaults: the engine applies schema defaults, unit tests may not. */
export function configWithDefaults<T extends object>(getConfig: () => Partial<T>, defaults: T): T {
  const given = getConfig() ?? {};
  return { ...defaults, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as T;
}

/** Default enforcement levels; each can be changed per policy in `--policy-pack-config`. */
export const MANDATORY: EnforcementLevel = "mandatory";
export const ADVISORY: EnforcementLevel = "advisory";

/**
 * `istio-mesh-ca`: everything a team composing its own stack needs — the CA backends, the Istio
 * install, the mTLS and sidecar-TLS policies, the inventory and the contract types. Subpaths:
 * `istio-mesh-ca/ca`, `/istio`, `/policy`, `/inventory`, and `/config` (the stack-config schemas).
 * Importing it registers no resource; the stack program of this repository is `index.ts` at the
 * repository root, not part of the package.
 */
export * from "./ca";
export * from "./istio";
export * from "./policy";
export * from "./inventory";

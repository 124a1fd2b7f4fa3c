import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

/**
 * Guard rails for stacks that give Istio a CA: `pulumi preview --policy-pack policy-pack`.
 * Enforcement levels and settings per policy: `--policy-pack-config policy-pack/policy-config.example.json`.
 */
new PolicyPack("istio-mesh-ca-guardrails", {
  description: "mTLS modes, private key placement, CA certificate shape and CA key storage for Istio meshes.",
  policies,
});

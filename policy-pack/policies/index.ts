import { Policies } from "@pulumi/policy";
import { caMaterialPolicies } from "./caMaterial";
import { mtlsPolicies } from "./mtls";
import { privateKeyPolicies } from "./privateKeys";
import { secretStorePolicies } from "./secretStores";

/** Every policy of the pack; tests import this list (constructing a PolicyPack would start a gRPC server). */
export const policies: Policies = [
  ...mtlsPolicies,
  ...privateKeyPolicies,
  ...caMaterialPolicies,
  ...secretStorePolicies,
];

import * as pulumi from "@pulumi/pulumi";
import { RootParams } from "../certParams";
import { RootCa, SigningRoot } from "../tlsCa";

/**
 * Where the offline root of the Vault backend comes from — the single place to change when the
 * root is taken from elsewhere (e.g. a root stack). Today: generated in this stack with `RootCa`;
 * its key lives only in this stack's encrypted state and never enters Vault.
 */
export function offlineRoot(name: string, params: RootParams, opts: pulumi.ComponentResourceOptions): SigningRoot & { certPem: pulumi.Output<string> } {
  return new RootCa(`${name}-root`, { params }, opts);
}

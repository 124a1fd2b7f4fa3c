import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { CaMaterial, joinPems } from "../contract";
import { IntermediateCa, RootCa } from "../tlsCa";
import { MaterialConfig } from "./config";
import { signingRoot, splitPemCerts } from "./pemChecks";

export interface MaterialTarget {
  /** The cluster the intermediate serves (its `L=`). */
  readonly clusterName: string;
  /** For the intermediate's default SAN `istiod.<namespace>.svc`. */
  readonly istioNamespace: string;
}

/**
 * Where the four Key Vault objects come from — the one place a new source plugs in (e.g. a
 * root-CA stack read through a StackReference). `generate`: an offline-style root and the
 * cluster's intermediate made here with @pulumi/tls; `provided`: PEMs from secret config.
 * The key is a Pulumi secret either way.
 */
export function caMaterialFor(name: string, source: MaterialConfig, target: MaterialTarget, parent: pulumi.Resource): Required<CaMaterial> {
  if (source.source === "generate") {
    const root = new RootCa(`${name}-root`, { params: source.root }, { parent });
    return new IntermediateCa(`${name}-intermediate`, {
      root,
      params: source.intermediate,
      clusterName: target.clusterName,
      istioNamespace: target.istioNamespace,
    }, { parent }).material;
  }
  const rootPems = splitPemCerts(source.rootCertPem);
  const rootCerts = pulumi.output(rootPems);
  return {
    rootCerts,
    rootCertBundle: rootCerts.apply(joinPems),
    intermediateCert: pulumi.output(source.caCertPem),
    intermediateKey: pulumi.secret(source.caKeyPem),
    certChain: pulumi.output(source.certChainPem ?? defaultChain(source.caCertPem, rootPems)),
  };
}

/** `cert-chain.pem` when none is given: the intermediate, then the root that signed it. */
function defaultChain(caCertPem: string, rootPems: string[]): string {
  const intermediate = new crypto.X509Certificate(caCertPem);
  const root = signingRoot(intermediate, rootPems.map((p) => new crypto.X509Certificate(p)));
  return joinPems([caCertPem, ...(root ? [root.toString()] : [])]);
}

import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
  CA_ALLOWED_USES,
  INTERMEDIATE_SUBJECT_DEFAULTS,
  IntermediateParams,
  KeySpec,
  ROOT_SUBJECT_DEFAULTS,
  RootParams,
} from "./certParams";
import { CompleteCaMaterial, joinPems } from "./contract";
import { MeshComponent } from "../shared/meshComponent";
import { Transform, transformed } from "../shared/transform";

/** Outputs of tls.PrivateKey that carry the key: secret from the moment they exist. */
const KEY_SECRET_OUTPUTS = ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"];

/**
 * Generates a private key; the PEM is wrapped in a secret (mocks do not apply additionalSecretOutputs).
 * Whatever a transform does, the key's outputs stay secret.
 */
function privateKey(
  name: string,
  spec: KeySpec,
  parent: pulumi.Resource,
  transform?: Transform<tls.PrivateKeyArgs>,
  waitsFor?: pulumi.Input<pulumi.Resource>[],
): { keyPem: pulumi.Output<string>; resource: tls.PrivateKey } {
  const [args, opts] = transformed(
    transform,
    name,
    spec.algorithm === "RSA"
      ? { algorithm: "RSA", rsaBits: spec.rsaBits }
      : { algorithm: "ECDSA", ecdsaCurve: spec.ecdsaCurve },
    { parent, additionalSecretOutputs: KEY_SECRET_OUTPUTS, ...(waitsFor ? { dependsOn: waitsFor } : {}) },
  );
  const resource = new tls.PrivateKey(name, args, {
    ...opts,
    additionalSecretOutputs: [...new Set([...(opts.additionalSecretOutputs ?? []), ...KEY_SECRET_OUTPUTS])],
  });
  return { keyPem: pulumi.secret(resource.privateKeyPem), resource };
}

export interface RootCaArgs {
  /** Key, lifetime and subject of the root. */
  readonly params: RootParams;
  /** Per-child escape hatch (partial args or a function); the key's outputs stay secret whatever it does. */
  readonly transform?: RootCaTransform;
  /**
   * What the key waits for before it is generated (e.g. a backend's first write with the stack's
   * credentials: refused, the update stops before a key exists). @default nothing
   */
  readonly keyWaitsFor?: pulumi.Input<pulumi.Resource>[];
}

/** Per-child transforms of a root: its key and self-signed certificate. */
export interface RootCaTransform {
  readonly key?: Transform<tls.PrivateKeyArgs>;
  readonly cert?: Transform<tls.SelfSignedCertArgs>;
}

/** Per-child transforms of an intermediate: its key, CSR and certificate. */
export interface IntermediateCaTransform {
  readonly key?: Transform<tls.PrivateKeyArgs>;
  readonly csr?: Transform<tls.CertRequestArgs>;
  readonly cert?: Transform<tls.LocallySignedCertArgs>;
}

/**
 * An offline-style root CA (`make root-ca`): RSA 4096, 10 years, O=Istio, CN=Root CA,
 * CA:true with no path length constraint. Its key stays in this stack's state, encrypted.
 */
export class RootCa extends MeshComponent {
  /** `root-cert.pem`. */
  public readonly certPem: pulumi.Output<string>;
  /** `root-key.pem`, a Pulumi secret. */
  public readonly keyPem: pulumi.Output<string>;
  /** The certificate resource, so that dependents (intermediates) re-sign when it is replaced. */
  public readonly cert: tls.SelfSignedCert;

  constructor(name: string, args: RootCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "RootCa", name, opts);
    const { params } = args;
    const t = args.transform ?? {};
    const key = privateKey(this.childName("key"), params.key, this, t.key, args.keyWaitsFor);
    this.keyPem = key.keyPem;
    this.cert = new tls.SelfSignedCert(
      this.childName("cert"),
      ...transformed(
        t.cert,
        this.childName("cert"),
        {
          privateKeyPem: key.keyPem,
          subject: { ...ROOT_SUBJECT_DEFAULTS, ...params.subject },
          validityPeriodHours: params.validityDays * 24,
          isCaCertificate: true,
          maxPathLength: -1,
          allowedUses: CA_ALLOWED_USES,
          setSubjectKeyId: true,
        },
        { parent: this },
      ),
    );
    this.certPem = this.cert.certPem;
    this.registerOutputs({ certPem: this.certPem });
  }
}

/** What an intermediate needs of the root that signs it. */
export interface SigningRoot {
  readonly certPem: pulumi.Input<string>;
  /** A Pulumi secret. */
  readonly keyPem: pulumi.Input<string>;
}

export interface IntermediateCaArgs {
  /** The root that signs this intermediate. */
  readonly root: SigningRoot;
  /** Key, lifetime, subject and SANs of the intermediate. */
  readonly params: IntermediateParams;
  /** The cluster this intermediate serves; the subject's locality (`L=`) defaults to it. */
  readonly clusterName: string;
  /** The Istio namespace, for the default SAN `istiod.<namespace>.svc`. */
  readonly istioNamespace: string;
  /** Every root the mesh trusts (defaults to the signing root alone). */
  readonly trustedRoots?: pulumi.Input<pulumi.Input<string>[]>;
  /** Per-child escape hatch (partial args or a function); the key's outputs stay secret whatever it does. */
  readonly transform?: IntermediateCaTransform;
}

/**
 * A per-cluster intermediate (`make <cluster>-cacerts`): RSA 4096, 2 years, O=Istio,
 * CN=Intermediate CA, L=<cluster>, CA:true, SAN istiod.<ns>.svc.
 * Unlike `make`, WITHOUT a path length constraint: `maxPathLength: 0` below is not encoded by
 * @pulumi/tls (terraform-provider-tls internal/provider/common_cert.go copies it to Go's
 * x509 MaxPathLen, never MaxPathLenZero, and Go writes MaxPathLen 0 as "no limit"). The input is
 * kept as it is so existing stacks see no diff.
 */
export class IntermediateCa extends MeshComponent {
  public readonly material: CompleteCaMaterial;

  constructor(name: string, args: IntermediateCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "IntermediateCa", name, opts);
    const { params } = args;
    const t = args.transform ?? {};
    const key = privateKey(this.childName("key"), params.key, this, t.key);
    const csr = new tls.CertRequest(
      this.childName("csr"),
      ...transformed(
        t.csr,
        this.childName("csr"),
        {
          privateKeyPem: key.keyPem,
          subject: { ...INTERMEDIATE_SUBJECT_DEFAULTS, locality: args.clusterName, ...params.subject },
          dnsNames: [...(params.dnsNames ?? [`istiod.${args.istioNamespace}.svc`])],
        },
        { parent: this },
      ),
    );
    const cert = new tls.LocallySignedCert(
      this.childName("cert"),
      ...transformed(
        t.cert,
        this.childName("cert"),
        {
          certRequestPem: csr.certRequestPem,
          caCertPem: args.root.certPem,
          caPrivateKeyPem: pulumi.secret(args.root.keyPem),
          validityPeriodHours: params.validityDays * 24,
          isCaCertificate: true,
          maxPathLength: 0,
          allowedUses: CA_ALLOWED_USES,
          setSubjectKeyId: true,
        },
        { parent: this },
      ),
    );

    const rootCerts = pulumi.output(args.trustedRoots ?? [args.root.certPem]);
    this.material = {
      rootCerts,
      rootCertBundle: rootCerts.apply(joinPems),
      intermediateCert: cert.certPem,
      intermediateKey: key.keyPem,
      certChain: pulumi.all([cert.certPem, args.root.certPem]).apply(([c, r]) => joinPems([c, r])),
    };
    this.registerOutputs({ intermediateCert: cert.certPem, certChain: this.material.certChain });
  }
}

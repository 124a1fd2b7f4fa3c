import { Certificate, ClusterIssuer, Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KeySpec } from "../certParams";
import { validatedCustomResource } from "../../shared/customResource";
import { MANAGED_BY_LABELS, MeshComponent } from "../../shared/meshComponent";
import { Transform } from "../../shared/transform";
import { GeneratedSigner, SignerSettings, isGenerated, isNamespaced, signerKey, signerValidityDays } from "./settings";

/** Makes `pulumi up` wait until cert-manager reports the object Ready (pulumi-kubernetes >= 4.18). */
const WAIT_READY = { "pulumi.com/waitFor": "condition=Ready" };

/** cert-manager's `privateKey` from the key shape every backend shares. */
export function certManagerPrivateKey(key: KeySpec): {
  algorithm: "RSA" | "ECDSA";
  size: number;
  rotationPolicy: "Never";
} {
  // Never: a renewed CA keeps its key, so certificates it signed keep verifying against the pinned PEM.
  return key.algorithm === "RSA"
    ? { algorithm: "RSA", size: key.rsaBits, rotationPolicy: "Never" }
    : { algorithm: "ECDSA", size: Number(key.ecdsaCurve.slice(1)), rotationPolicy: "Never" };
}

/** Object names of a generated CA: bootstrap self-signed issuer, CA Certificate and its Secret, CA issuer. */
export function generatedNames(signer: SignerSettings): {
  bootstrap: string;
  certificate: string;
  secret: string;
  issuer: string;
} {
  return {
    bootstrap: `${signer.name}-selfsigned`,
    certificate: `${signer.name}-ca`,
    secret: `${signer.name}-ca`,
    issuer: signer.name,
  };
}

/** Plain objects (validated against cert-manager's schemas) for a signer whose CA cert-manager generates. */
export function generatedCaObjects(
  signer: GeneratedSigner,
  certManagerNamespace: string,
): {
  bootstrap: ClusterIssuer | Issuer;
  certificate: Certificate;
  issuer: ClusterIssuer | Issuer;
  secretNamespace: string;
} {
  const names = generatedNames(signer);
  const namespaced = isNamespaced(signer);
  // A ClusterIssuer's CA secret lives in cert-manager's cluster resource namespace; an Issuer's in its own.
  const secretNamespace = namespaced ? signer.namespace : certManagerNamespace;
  const meta = (name: string) =>
    namespaced ? { name, namespace: signer.namespace, labels: MANAGED_BY_LABELS } : { name, labels: MANAGED_BY_LABELS };
  const issuerKind = namespaced ? "Issuer" : "ClusterIssuer";
  const bootstrap = namespaced
    ? new Issuer({ metadata: meta(names.bootstrap), spec: { selfSigned: {} } })
    : new ClusterIssuer({ metadata: meta(names.bootstrap), spec: { selfSigned: {} } });
  const certificate = new Certificate({
    metadata: {
      name: names.certificate,
      namespace: secretNamespace,
      labels: MANAGED_BY_LABELS,
      annotations: WAIT_READY,
    },
    spec: {
      isCA: true,
      commonName: signer.commonName ?? signer.name,
      ...(signer.organizations ? { subject: { organizations: [...signer.organizations] } } : {}),
      secretName: names.secret,
      duration: `${signerValidityDays(signer) * 24}h`,
      privateKey: certManagerPrivateKey(signerKey(signer)),
      issuerRef: { name: names.bootstrap, kind: issuerKind, group: "cert-manager.io" },
    },
  });
  const caMeta = { ...meta(names.issuer), annotations: WAIT_READY };
  const issuer = namespaced
    ? new Issuer({ metadata: caMeta, spec: { ca: { secretName: names.secret } } })
    : new ClusterIssuer({ metadata: caMeta, spec: { ca: { secretName: names.secret } } });
  return { bootstrap, certificate, issuer, secretNamespace };
}

/** Decodes `ca.crt` from a Secret's data; the only key ever read (tls.key stays in the cluster). */
export function caCertFromSecretData(data: Record<string, string> | undefined, secretRef: string): string {
  const encoded = data?.["ca.crt"];
  if (!encoded) throw new Error(`secret ${secretRef} has no ca.crt: is the CA Certificate issued?`);
  const pem = Buffer.from(encoded, "base64").toString("utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new Error(`secret ${secretRef}: ca.crt is not a PEM certificate`);
  return pem;
}

export interface CertManagerSignerArgs {
  /** The signer to set up (generated CA) or to take the CA certificate of (existing issuer). */
  readonly signer: SignerSettings;
  /** cert-manager's namespace: a ClusterIssuer's CA Secret lives there. */
  readonly certManagerNamespace: string;
  /** Provider of the cluster cert-manager runs in; every Kubernetes child uses it. */
  readonly provider: k8s.Provider;
  /**
   * What the issuers wait for: the cert-manager install (CRDs and webhook) when this program installs it, namespaces.
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource[]>;
  /** Per-child escape hatch (partial args or a function), as on every component of this package. */
  readonly transform?: CertManagerSignerTransform;
}

/** Per-child transforms of a generated signer's custom resources. */
export interface CertManagerSignerTransform {
  readonly bootstrapIssuer?: Transform<k8s.apiextensions.CustomResourceArgs>;
  readonly certificate?: Transform<k8s.apiextensions.CustomResourceArgs>;
  readonly issuer?: Transform<k8s.apiextensions.CustomResourceArgs>;
}

/** What a signer yields: its CA certificate and the issuer istiod (or istio-csr) must wait for. */
export interface SignerResult {
  readonly caPem: pulumi.Output<string>;
  /** Undefined for issuers managed elsewhere. */
  readonly issuer?: pulumi.Resource;
}

/**
 * One signer: for generated CAs, the bootstrap issuer, CA Certificate and CA issuer, then the CA
 * certificate read back from the issued Secret; for existing issuers, the given PEM.
 */
export class CertManagerSigner extends MeshComponent implements SignerResult {
  public readonly caPem: pulumi.Output<string>;
  /** The CA issuer (generated CAs only). */
  public readonly issuer?: pulumi.Resource;
  /** The bootstrap self-signed issuer (generated CAs only). */
  public readonly bootstrapIssuer?: pulumi.Resource;
  /** The CA Certificate (generated CAs only). */
  public readonly certificate?: pulumi.Resource;

  constructor(name: string, args: CertManagerSignerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "CertManagerSigner", name, opts);
    const { signer } = args;
    if (!isGenerated(signer)) {
      this.caPem = pulumi.output(signer.caPem);
      this.registerOutputs({ caPem: this.caPem });
      return;
    }
    const k8sOpts = { parent: this, provider: args.provider };
    const objects = generatedCaObjects(signer, args.certManagerNamespace);
    const t = args.transform ?? {};
    const bootstrap = validatedCustomResource(
      this.childName("selfsigned"),
      objects.bootstrap,
      { ...k8sOpts, dependsOn: args.dependsOn ?? [] },
      undefined,
      t.bootstrapIssuer,
    );
    const certificate = validatedCustomResource(
      this.childName("ca"),
      objects.certificate,
      { ...k8sOpts, dependsOn: [bootstrap] },
      undefined,
      t.certificate,
    );
    this.bootstrapIssuer = bootstrap;
    this.certificate = certificate;
    this.issuer = validatedCustomResource(
      this.childName("issuer"),
      objects.issuer,
      { ...k8sOpts, dependsOn: [certificate] },
      undefined,
      t.issuer,
    );

    const secretRef = `${objects.secretNamespace}/${generatedNames(signer).secret}`;
    // The id depends on the Certificate, so a preview before it exists reads nothing.
    const secret = k8s.core.v1.Secret.get(
      this.childName("ca-secret"),
      certificate.id.apply(() => secretRef),
      {
        ...k8sOpts,
        dependsOn: [certificate],
        additionalSecretOutputs: ["data", "stringData"],
      },
    );
    // ca.crt is a public certificate: unsecret it so mesh config and outputs stay readable.
    this.caPem = pulumi.unsecret(secret.data.apply((d) => this.refusing(() => caCertFromSecretData(d, secretRef))));
    this.registerOutputs({ caPem: this.caPem });
  }
}

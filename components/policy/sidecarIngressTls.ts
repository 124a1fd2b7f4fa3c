import * as k8s from "@pulumi/kubernetes";
import { Sidecar } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ISTIO_NETWORKING_V1, ISTIO_SECURITY_V1, validatedCustomResource } from "../shared/customResource";
import { MeshComponent } from "../shared/meshComponent";
import { Transform, transformed } from "../shared/transform";
import { peerAuthentication } from "./mtls";

/** Server certificate material supplied by the user (from a corporate CA, say). */
export interface ProvidedTlsMaterial {
  readonly serverCertPem: pulumi.Input<string>;
  /** Must be a Pulumi secret. */
  readonly serverKeyPem: pulumi.Input<string>;
  /** CA that client certificates must chain to (MUTUAL). */
  readonly caCertPem?: pulumi.Input<string>;
}

/** Generate a throwaway CA, server and client certificate (dev and tests). */
export interface GeneratedTlsMaterial {
  /** Server SANs; the first is also the CN. */
  readonly serverDnsNames: string[];
  /** CN of the client certificate issued for MUTUAL mode. */
  readonly clientCommonName: string;
  readonly validityDays: number;
}

/** An extra inbound port of the workload, declared so the Sidecar's ingress list stays complete. */
export interface IngressPort {
  readonly port: number;
  readonly protocol: string;
  readonly name: string;
  readonly defaultEndpoint: string;
}

export interface SidecarIngressTlsArgs {
  /** Provider of the workload's cluster. */
  readonly provider: k8s.Provider;
  /** The workload's name: the Sidecar and PeerAuthentication are named after it. */
  readonly workloadName: string;
  readonly namespace: string;
  /** Labels of the workload's pods (the Sidecar's workloadSelector and the PeerAuthentication's selector). */
  readonly selector: Record<string, string>;
  /** The container port external clients reach (the Service's targetPort). */
  readonly port: number;
  /** @default "external" */
  readonly portName?: string;
  /**
   * Where the sidecar forwards decrypted traffic.
   * @example "0.0.0.0:80"
   */
  readonly defaultEndpoint: string;
  /** `MUTUAL` verifies client certificates against the CA. @default "MUTUAL" */
  readonly mode?: "SIMPLE" | "MUTUAL";
  /** Other inbound ports: with an ingress list, the sidecar only listens where it is told. @default [] */
  readonly additionalIngress?: readonly IngressPort[];
  readonly certificates: { readonly generate: GeneratedTlsMaterial } | { readonly provided: ProvidedTlsMaterial };
  /** @default { tls: "<workloadName>-mtls-termination", ca: "<workloadName>-mtls-termination-cacert" } */
  readonly secretNames?: { readonly tls: string; readonly ca: string };
  /** @default { tls: "/etc/istio/tls-certs/", ca: "/etc/istio/tls-ca-certs/" } */
  readonly mountPaths?: { readonly tls: string; readonly ca: string };
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Per-child escape hatches (partial args or a function). */
  readonly transform?: {
    readonly tlsSecret?: Transform<k8s.core.v1.SecretArgs>;
    readonly caSecret?: Transform<k8s.core.v1.SecretArgs>;
    readonly peerAuthentication?: Transform<k8s.apiextensions.CustomResourceArgs>;
    readonly sidecar?: Transform<k8s.apiextensions.CustomResourceArgs>;
  };
}

const withSlash = (p: string) => (p.endsWith("/") ? p : `${p}/`);

/** The pod-template annotations that mount the TLS secrets into istio-proxy (no credentialName support there). */
export function userVolumeAnnotations(
  secretNames: { tls: string; ca: string },
  mountPaths: { tls: string; ca: string },
  withCa: boolean,
): Record<string, string> {
  const volumes: Record<string, unknown> = { "tls-secret": { secret: { secretName: secretNames.tls } } };
  const mounts: Record<string, unknown> = { "tls-secret": { mountPath: withSlash(mountPaths.tls), readOnly: true } };
  if (withCa) {
    volumes["tls-ca-secret"] = { secret: { secretName: secretNames.ca } };
    mounts["tls-ca-secret"] = { mountPath: withSlash(mountPaths.ca), readOnly: true };
  }
  return {
    "sidecar.istio.io/userVolume": JSON.stringify(volumes),
    "sidecar.istio.io/userVolumeMount": JSON.stringify(mounts),
  };
}

/**
 * TLS termination of external traffic in the workload's own sidecar (Istio's "sidecar ingress TLS
 * termination" setup): the Sidecar
 * ingress listener with TLS, the port-level mTLS DISABLE exception for that port, the TLS and CA
 * Secrets, and the annotations the workload's pod template needs (`podAnnotations`).
 * istiod needs ENABLE_TLS_ON_SIDECAR_INGRESS=true (see `SIDECAR_INGRESS_TLS_ENV`).
 */
export class SidecarIngressTls extends MeshComponent {
  /** Put these on the workload's pod template. */
  public readonly podAnnotations: Record<string, string>;
  /** The CA clients must trust / client certificates chain to. */
  public readonly caCertPem: pulumi.Output<string | undefined>;
  /** Generated client certificate and key (MUTUAL with generated material), for testing with curl. */
  public readonly clientCertPem?: pulumi.Output<string>;
  public readonly clientKeyPem?: pulumi.Output<string>;
  public readonly tlsSecret: k8s.core.v1.Secret;
  /** MUTUAL only. */
  public readonly caSecret?: k8s.core.v1.Secret;
  public readonly peerAuthentication: k8s.apiextensions.CustomResource;
  public readonly sidecar: k8s.apiextensions.CustomResource;

  constructor(name: string, args: SidecarIngressTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("policy", "SidecarIngressTls", name, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const mode = args.mode ?? "MUTUAL";
    const mutual = mode === "MUTUAL";
    const secretNames = args.secretNames ?? {
      tls: `${args.workloadName}-mtls-termination`,
      ca: `${args.workloadName}-mtls-termination-cacert`,
    };
    const mountPaths = args.mountPaths ?? { tls: "/etc/istio/tls-certs/", ca: "/etc/istio/tls-ca-certs/" };
    const t = args.transform ?? {};
    // Refusals first: nothing of this workload is registered when its settings cannot work.
    if (mutual && "provided" in args.certificates && args.certificates.provided.caCertPem === undefined) {
      this.fail(`mode MUTUAL needs a CA certificate to verify clients (certificates.provided.caCertPem)`);
    }
    const tlsDir = withSlash(mountPaths.tls);
    const sidecarModel = new Sidecar({
      metadata: { name: `${args.workloadName}-ingress`, namespace: args.namespace },
      spec: {
        workloadSelector: { labels: args.selector },
        ingress: [
          {
            port: { number: args.port, protocol: "HTTPS", name: args.portName ?? "external" },
            defaultEndpoint: args.defaultEndpoint,
            tls: {
              mode,
              serverCertificate: `${tlsDir}tls.crt`,
              privateKey: `${tlsDir}tls.key`,
              ...(mutual ? { caCertificates: `${withSlash(mountPaths.ca)}ca.crt` } : {}),
            },
          },
          ...(args.additionalIngress ?? []).map((p) => ({
            port: { number: p.port, protocol: p.protocol, name: p.name },
            defaultEndpoint: p.defaultEndpoint,
          })),
        ],
      },
    });
    try {
      sidecarModel.validate();
    } catch (e) {
      this.fail(
        `Sidecar ${args.namespace}/${args.workloadName}-ingress: invalid against the upstream schema: ${(e as Error).message}`,
      );
    }
    // External clients speak TLS to the sidecar itself, not Istio mTLS, on this one port.
    const exceptionModel = this.refusing(() =>
      peerAuthentication(`${args.workloadName}-external-port`, args.namespace, "STRICT", args.selector, {
        [String(args.port)]: "DISABLE",
      }),
    );

    let material: ProvidedTlsMaterial;
    if ("generate" in args.certificates) {
      const g = this.generate(args.certificates.generate, mutual);
      material = g.material;
      this.clientCertPem = g.clientCertPem;
      this.clientKeyPem = g.clientKeyPem;
    } else {
      material = args.certificates.provided;
    }
    this.caCertPem = pulumi.output(material.caCertPem);

    this.tlsSecret = this.secret(
      "tls",
      t.tlsSecret,
      {
        metadata: { name: secretNames.tls, namespace: args.namespace },
        type: "kubernetes.io/tls",
        stringData: pulumi.secret({ "tls.crt": material.serverCertPem, "tls.key": material.serverKeyPem }),
      },
      k8sOpts,
    );
    if (mutual) {
      this.caSecret = this.secret(
        "ca",
        t.caSecret,
        {
          metadata: { name: secretNames.ca, namespace: args.namespace },
          type: "Opaque",
          stringData: { "ca.crt": material.caCertPem! },
        },
        k8sOpts,
      );
    }

    this.peerAuthentication = validatedCustomResource(
      this.childName("external-port"),
      exceptionModel,
      k8sOpts,
      ISTIO_SECURITY_V1,
      t.peerAuthentication,
    );
    this.sidecar = validatedCustomResource(
      this.childName("sidecar"),
      sidecarModel,
      k8sOpts,
      ISTIO_NETWORKING_V1,
      t.sidecar,
    );

    this.podAnnotations = userVolumeAnnotations(secretNames, mountPaths, mutual);
    this.registerOutputs({ podAnnotations: this.podAnnotations, caCertPem: this.caCertPem });
  }

  private secret(
    suffix: string,
    transform: Transform<k8s.core.v1.SecretArgs> | undefined,
    args: k8s.core.v1.SecretArgs,
    opts: pulumi.CustomResourceOptions,
  ): k8s.core.v1.Secret {
    const [a, o] = transformed(transform, this.childName(suffix), args, opts);
    return new k8s.core.v1.Secret(this.childName(suffix), a, o);
  }

  /** A CA, a server certificate and (MUTUAL) a client certificate, like the openssl steps of Istio's guide. */
  private generate(g: GeneratedTlsMaterial, mutual: boolean) {
    const hours = g.validityDays * 24;
    const key = (suffix: string) => {
      const k = new tls.PrivateKey(
        this.childName(suffix),
        { algorithm: "RSA", rsaBits: 2048 },
        { parent: this, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] },
      );
      return pulumi.secret(k.privateKeyPem);
    };
    const caKey = key("ca-key");
    const ca = new tls.SelfSignedCert(
      this.childName("ca-cert"),
      {
        privateKeyPem: caKey,
        subject: { commonName: `${this.baseName} external CA`, organization: "istio-mesh-ca" },
        validityPeriodHours: hours,
        isCaCertificate: true,
        allowedUses: ["cert_signing", "digital_signature", "crl_signing"],
        setSubjectKeyId: true,
      },
      { parent: this },
    );
    const leaf = (role: "server" | "client", commonName: string, dnsNames: string[], uses: string[]) => {
      const k = key(`${role}-key`);
      const csr = new tls.CertRequest(
        this.childName(`${role}-csr`),
        { privateKeyPem: k, subject: { commonName }, dnsNames },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        this.childName(`${role}-cert`),
        {
          certRequestPem: csr.certRequestPem,
          caCertPem: ca.certPem,
          caPrivateKeyPem: caKey,
          validityPeriodHours: hours,
          allowedUses: ["digital_signature", "key_encipherment", ...uses],
        },
        { parent: this },
      );
      return { certPem: cert.certPem, keyPem: k };
    };
    const server = leaf("server", g.serverDnsNames[0], g.serverDnsNames, ["server_auth"]);
    const client = mutual ? leaf("client", g.clientCommonName, [], ["client_auth"]) : undefined;
    return {
      material: { serverCertPem: server.certPem, serverKeyPem: server.keyPem, caCertPem: ca.certPem },
      clientCertPem: client?.certPem,
      clientKeyPem: client?.keyPem,
    };
  }
}

/** What istiod needs when any workload terminates TLS in its sidecar. */
export const SIDECAR_INGRESS_TLS_ENV = { ENABLE_TLS_ON_SIDECAR_INGRESS: "true" } as const;

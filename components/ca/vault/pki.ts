import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as vault from "@pulumi/vault";
import { CA_ALLOWED_USES, KeySpec } from "../certParams";
import { CaMaterial, joinPems } from "../contract";
import { VaultConfig, durationSeconds } from "./config";
import { offlineRoot } from "./offlineRoot";
import { VaultReadPaths, policyPaths, readOnlyPolicy, vaultReadPaths } from "./paths";

export interface VaultPkiArgs {
  /** The validated `istio-mesh-ca:ca` config. */
  readonly config: VaultConfig;
  /** The Vault provider every child uses. */
  readonly provider: vault.Provider;
}

/** Vault's key parameters for a key spec. */
function vaultKey(spec: KeySpec): { keyType: string; keyBits: number } {
  return spec.algorithm === "RSA"
    ? { keyType: "rsa", keyBits: spec.rsaBits }
    : { keyType: "ec", keyBits: Number(spec.ecdsaCurve.slice(1)) };
}

/** A PEM ending in exactly one newline, as the files on disk hold it. */
const pemFile = (pem: string): string => joinPems([pem.trim()]);

/**
 * Vault as Istio's CA source, once per stack: audit device, root mount and root (in Vault, or an
 * offline root whose certificate alone is imported), intermediate mount with an exported key signed
 * by the root, that key copied to KV as `ca-key.pem`, and a read-only policy for istiod.
 */
export class VaultPki extends pulumi.ComponentResource {
  public readonly material: Required<CaMaterial>;
  /** The paths istiod's agent reads (the policy grants exactly these). */
  public readonly paths: VaultReadPaths;
  public readonly policy: vault.Policy;
  /** Everything istiod's agent needs in Vault before istiod starts. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: VaultPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:VaultPki", name, {}, opts);
    const { config: cfg } = args;
    const vopts = { parent: this, provider: args.provider };

    // Audit first, so that everything below is in the audit log.
    const audit = cfg.audit.enabled
      ? [new vault.Audit(`${name}-audit`, { type: "file", path: cfg.audit.path, options: { file_path: cfg.audit.filePath } }, vopts)]
      : [];

    const rootMount = new vault.Mount(`${name}-root-mount`, {
      path: cfg.root.mount,
      type: "pki",
      description: cfg.root.mode === "internal" ? "Istio root CA" : "Istio root CA certificate (the key is kept offline)",
      maxLeaseTtlSeconds: durationSeconds(cfg.root.maxLeaseTtl),
    }, { ...vopts, dependsOn: audit });
    const interMount = new vault.Mount(`${name}-intermediate-mount`, {
      path: cfg.intermediate.mount,
      type: "pki",
      description: "Istio intermediate CA (istiod signs workload certificates with it)",
      maxLeaseTtlSeconds: durationSeconds(cfg.intermediate.maxLeaseTtl),
    }, { ...vopts, dependsOn: audit });

    const inter = cfg.intermediate;
    const csr = new vault.pkisecret.SecretBackendIntermediateCertRequest(`${name}-intermediate-csr`, {
      backend: interMount.path,
      type: "exported",
      commonName: inter.commonName,
      organization: inter.subject.organization,
      ou: inter.subject.organizationalUnit,
      locality: inter.subject.locality,
      province: inter.subject.province,
      country: inter.subject.country,
      altNames: inter.dnsNames,
      ...vaultKey(inter.key),
    }, { ...vopts, additionalSecretOutputs: ["privateKey"] });
    const intermediateKey = pulumi.secret(csr.privateKey.apply(pemFile));

    // Sign the CSR with the root; `rootReady` is what serves `<root mount>/cert/ca`.
    let rootPem: pulumi.Output<string>;
    let signedPem: pulumi.Output<string>;
    let rootReady: pulumi.Resource;
    if (cfg.root.mode === "internal") {
      const root = new vault.pkisecret.SecretBackendRootCert(`${name}-root-cert`, {
        backend: rootMount.path,
        type: "internal",
        commonName: cfg.root.commonName,
        organization: cfg.root.organization,
        ttl: cfg.root.ttl,
        ...vaultKey(cfg.root.key),
      }, vopts);
      rootPem = root.certificate.apply(pemFile);
      rootReady = root;
      const signed = new vault.pkisecret.SecretBackendRootSignIntermediate(`${name}-intermediate-sign`, {
        backend: rootMount.path,
        csr: csr.csr,
        commonName: inter.commonName,
        organization: inter.subject.organization,
        ttl: inter.ttl,
        format: "pem",
        maxPathLength: 0,
      }, { ...vopts, dependsOn: [root] });
      signedPem = signed.certificate.apply(pemFile);
    } else {
      const root = offlineRoot(name, cfg.root, { parent: this });
      rootPem = pulumi.output(root.certPem).apply(pemFile);
      // Only the certificate goes in: `<root mount>/cert/ca` serves it, the key stays offline.
      rootReady = new vault.pkisecret.SecretBackendConfigCa(`${name}-root-import`, { backend: rootMount.path, pemBundle: rootPem }, vopts);
      const signed = new tls.LocallySignedCert(`${name}-intermediate-sign`, {
        certRequestPem: csr.csr,
        caCertPem: root.certPem,
        caPrivateKeyPem: pulumi.secret(root.keyPem),
        validityPeriodHours: Math.ceil(durationSeconds(inter.ttl) / 3600),
        isCaCertificate: true,
        maxPathLength: 0,
        allowedUses: [...CA_ALLOWED_USES, "crl_signing"],
        setSubjectKeyId: true,
      }, { parent: this });
      signedPem = signed.certPem.apply(pemFile);
    }

    // With the root appended, Vault keeps the chain: `<intermediate mount>/cert/ca_chain` = intermediate, root.
    const setSigned = new vault.pkisecret.SecretBackendIntermediateSetSigned(`${name}-intermediate-set-signed`, {
      backend: interMount.path,
      certificate: pulumi.all([signedPem, rootPem]).apply(([c, r]) => joinPems([c, r])),
    }, vopts);

    const kvMount = cfg.kv.createMount
      ? new vault.Mount(`${name}-kv-mount`, {
        path: cfg.kv.mount,
        type: "kv",
        options: { version: String(cfg.kv.version) },
        description: "Holds the Istio intermediate key for istiod's vault-agent",
      }, { ...vopts, dependsOn: audit })
      : undefined;
    const kvData = pulumi.secret(intermediateKey.apply((k) => JSON.stringify({ "ca-key.pem": k })));
    const kvSecret = cfg.kv.version === 2
      ? new vault.kv.SecretV2(`${name}-intermediate-key`, { mount: kvMount?.path ?? cfg.kv.mount, name: cfg.kv.path, dataJson: kvData },
        { ...vopts, additionalSecretOutputs: ["dataJson", "data"] })
      : new vault.kv.Secret(`${name}-intermediate-key`, {
        path: (kvMount?.path ?? pulumi.output(cfg.kv.mount)).apply((m) => `${m}/${cfg.kv.path}`),
        dataJson: kvData,
      }, { ...vopts, additionalSecretOutputs: ["dataJson", "data"] });

    this.paths = vaultReadPaths({
      rootMount: cfg.root.mount, intermediateMount: inter.mount, kvMount: cfg.kv.mount, kvPath: cfg.kv.path, kvVersion: cfg.kv.version,
    });
    this.policy = new vault.Policy(`${name}-policy`, {
      name: cfg.kubernetesAuth.policyName,
      policy: readOnlyPolicy(policyPaths(this.paths, inter.mount)),
    }, vopts);

    const rootCerts = rootPem.apply((r) => [r]);
    this.material = {
      rootCerts,
      rootCertBundle: rootCerts.apply(joinPems),
      intermediateCert: signedPem,
      intermediateKey,
      certChain: pulumi.all([signedPem, rootPem]).apply(([c, r]) => joinPems([c, r])),
    };
    this.ready = [rootReady, setSigned, kvSecret, this.policy];
    this.registerOutputs({ rootCertBundle: this.material.rootCertBundle, certChain: this.material.certChain });
  }
}

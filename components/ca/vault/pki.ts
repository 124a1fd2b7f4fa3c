import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as vault from "@pulumi/vault";
import { CA_ALLOWED_USES, KeySpec } from "../certParams";
import { CaMaterial, joinPems } from "../contract";
import {
  CaLifecycle,
  CaLifecycleArgs,
  ClusterCaMaterial,
  IstiodAdditions,
  clusterCaMaterial,
  expiryFindings,
} from "../lifecycle";
import { describeProblems } from "../../shared/settingsProblem";
import { SigningRoot } from "../tlsCa";
import { CA_FILES, CaFile } from "./agentTemplates";
import { VaultReadPaths, policyPaths, readOnlyPolicy, vaultReadPaths } from "./paths";
import {
  ResolvedVaultCaSettings,
  VaultCaSettings,
  VaultInternalRoot,
  durationSeconds,
  resolveVaultSettings,
  vaultSettingsProblems,
} from "./settings";
import { MeshComponent } from "../../shared/meshComponent";
import { Transform, transformed } from "../../shared/transform";

export interface VaultPkiArgs {
  /**
   * Vault's address, mounts, root mode, intermediate, KV secret, policy name and expiry guards:
   * checked (`vaultSettingsProblems`) and resolved here, unless already resolved (`resolveVaultSettings`,
   * as the config schema produces them).
   */
  readonly settings: VaultCaSettings | ResolvedVaultCaSettings;
  /** The Vault provider every child uses. */
  readonly provider: vault.Provider;
  /**
   * How messages name the settings (the stack program passes its config key, `istio-mesh-ca:ca`).
   * @default the component's name
   */
  readonly settingsName?: string;
  /**
   * `root.mode: offline` only: the stack's CA lifecycle (rotation, expiry guards, intermediate source;
   * root and intermediate parameters as `settings` has them). This component owns the `CaLifecycle`,
   * named and parented like itself.
   */
  readonly lifecycle?: CaLifecycleArgs;
  /** `root.mode: offline` only: the one cluster this PKI serves (the intermediate's cluster). */
  readonly cluster?: { readonly clusterName: string; readonly istioNamespace: string };
  /** Per-child escape hatch (partial args or a function): adjust a child's args or options before it is registered. */
  readonly transform?: VaultPkiTransform;
}

/**
 * Per-child transforms of `VaultPki`'s mounts, audit device and policy. Not of what holds or signs the
 * intermediate (CSR, signature, imports, the KV secret with its key): those follow the root mode and
 * the lifecycle.
 */
export interface VaultPkiTransform {
  readonly audit?: Transform<vault.AuditArgs>;
  readonly rootMount?: Transform<vault.MountArgs>;
  readonly intermediateMount?: Transform<vault.MountArgs>;
  readonly kvMount?: Transform<vault.MountArgs>;
  readonly policy?: Transform<vault.PolicyArgs>;
}

/** Vault's key parameters for a key spec. */
function vaultKey(spec: KeySpec): { keyType: string; keyBits: number } {
  return spec.algorithm === "RSA"
    ? { keyType: "rsa", keyBits: spec.rsaBits }
    : { keyType: "ec", keyBits: Number(spec.ecdsaCurve.slice(1)) };
}

/** A PEM ending in exactly one newline, as the files on disk hold it. */
const pemFile = (pem: string): string => joinPems([pem.trim()]);

/** The intermediate this backend made or imported, and what istiod waits for. */
export interface IssuedIntermediate {
  readonly material: Required<CaMaterial>;
  /** Everything istiod's agent needs in Vault before istiod starts. */
  readonly ready: pulumi.Resource[];
}

/**
 * Vault as Istio's CA source, once per stack (one cluster): audit device, root mount, intermediate
 * mount, KV mount, a read-only policy for istiod, and the intermediate, all made in the constructor:
 * - `root.mode: internal`: root in Vault, an exported-key CSR signed by it.
 * - `root.mode: offline`: from the CA lifecycle this component owns (`lifecycle`): the signing root
 *   of the current phase signs Vault's CSR, or a root stack's intermediate is imported.
 * In every mode the PKI mounts get the certificates (set-signed / imported: Vault stays the PKI for
 * other consumers), and the four files istiod reads are written together into the one KV secret
 * (`issuedFrom`): the agent renders all of them from there, so certificate and key change atomically
 * whatever the PKI mount's default issuer is (see paths.ts).
 */
export class VaultPki extends MeshComponent {
  /** The one KV path istiod's agent reads (the policy grants read on exactly it). */
  public readonly paths: VaultReadPaths;
  public readonly policy: vault.Policy;
  /**
   * The audit device (empty when `audit.enabled` is false). Everything else that writes to Vault for
   * this stack waits for it: Vault fails a request whose response it cannot audit, and a request
   * answered while the device is being enabled can fail that way after it took effect (an auth
   * method enabled, then reported as a 500; the provider's retry then meets "path is already in use").
   */
  public readonly audit: vault.Audit[];
  /**
   * This stack's first requests to Vault (the audit device, or the PKI mounts without one): with a
   * token Vault refuses they fail, and nothing that waits for them is attempted.
   */
  public readonly firstWrites: pulumi.Resource[];
  /** The intermediate istiod's agent reads, and what istiod waits for. */
  public readonly issued: IssuedIntermediate;
  /** `root.mode: offline`: the stack's CA lifecycle (its state is the stack's `caLifecycle` output). */
  public readonly caLifecycle?: CaLifecycle;
  /** `root.mode: offline`: istiod's additions for the rotation phase (multi-root env, restarts). */
  public readonly istiodAdditions?: pulumi.Output<IstiodAdditions>;

  private readonly settings: ResolvedVaultCaSettings;
  private readonly settingsName: string;
  private readonly vopts: pulumi.CustomResourceOptions;
  private readonly rootMount: vault.Mount;
  private readonly interMount: vault.Mount;
  private readonly kvMount?: vault.Mount;

  constructor(name: string, args: VaultPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "VaultPki", name, opts);
    this.settingsName = args.settingsName ?? name;
    const settings =
      "resolved" in args.settings ? args.settings : resolvedVaultSettings(this, this.settingsName, args.settings);
    this.settings = settings;
    // Refused before any child is registered.
    if (settings.root.mode === "internal" && args.lifecycle) {
      this.fail(
        `${this.settingsName}: the CA lifecycle (lifecycle) does not apply to root.mode internal (Vault holds that root)`,
      );
    }
    if (settings.root.mode === "offline" && (!args.lifecycle || !args.cluster)) {
      this.fail(
        `${this.settingsName}: root.mode offline needs the stack's CA lifecycle (lifecycle, {} for its defaults) and the cluster it serves (cluster)`,
      );
    }
    const vopts = { parent: this, provider: args.provider };
    this.vopts = vopts;
    const t = args.transform ?? {};

    // Audit first, so that everything below is in the audit log.
    const audit = settings.audit.enabled
      ? [
          new vault.Audit(
            this.childName("audit"),
            ...transformed(
              t.audit,
              this.childName("audit"),
              { type: "file", path: settings.audit.path, options: { file_path: settings.audit.filePath } },
              vopts,
            ),
          ),
        ]
      : [];
    this.audit = audit;

    this.rootMount = new vault.Mount(
      this.childName("root-mount"),
      ...transformed(
        t.rootMount,
        this.childName("root-mount"),
        {
          path: settings.root.mount,
          type: "pki",
          description:
            settings.root.mode === "internal" ? "Istio root CA" : "Istio root CA certificate (the key is kept offline)",
          maxLeaseTtlSeconds: this.refusing(() => durationSeconds(settings.root.maxLeaseTtl, "root.maxLeaseTtl")),
        },
        { ...vopts, dependsOn: audit },
      ),
    );
    this.interMount = new vault.Mount(
      this.childName("intermediate-mount"),
      ...transformed(
        t.intermediateMount,
        this.childName("intermediate-mount"),
        {
          path: settings.intermediate.mount,
          type: "pki",
          description: "Istio intermediate CA (istiod signs workload certificates with it)",
          maxLeaseTtlSeconds: this.refusing(() =>
            durationSeconds(settings.intermediate.maxLeaseTtl, "intermediate.maxLeaseTtl"),
          ),
        },
        { ...vopts, dependsOn: audit },
      ),
    );
    this.kvMount = settings.kv.createMount
      ? new vault.Mount(
          this.childName("kv-mount"),
          ...transformed(
            t.kvMount,
            this.childName("kv-mount"),
            {
              path: settings.kv.mount,
              type: "kv",
              options: { version: String(settings.kv.version) },
              description:
                "Holds istiod's CA files (intermediate certificate and key, chain, roots) for its vault-agent",
            },
            { ...vopts, dependsOn: audit },
          ),
        )
      : undefined;

    this.paths = vaultReadPaths({
      kvMount: settings.kv.mount,
      kvPath: settings.kv.path,
      kvVersion: settings.kv.version,
    });
    this.policy = new vault.Policy(
      this.childName("policy"),
      ...transformed(
        t.policy,
        this.childName("policy"),
        {
          name: settings.kubernetesAuth.policyName,
          policy: readOnlyPolicy(policyPaths(this.paths)),
        },
        { ...vopts, dependsOn: audit },
      ),
    );

    this.firstWrites = audit.length > 0 ? audit : [this.rootMount, this.interMount];

    if (settings.root.mode === "internal") {
      this.issued = this.internalRoot(settings.root);
    } else {
      // Named and parented as this component: the root is `<name>-root` under it, as it always was.
      // The root's key waits for Vault's first write: a token Vault refuses stops the update before it.
      const caLifecycle = new CaLifecycle(
        name,
        {
          ...args.lifecycle,
          settingsName: args.lifecycle!.settingsName ?? this.settingsName,
          rootKeysWaitFor: [...(args.lifecycle!.rootKeysWaitFor ?? []), ...this.firstWrites],
        },
        { parent: this },
      );
      // The roots of the phase, and from a root stack the cluster's intermediate (both register nothing here).
      const clusterMaterial = clusterCaMaterial(this.childName("intermediate"), {
        shared: caLifecycle,
        clusterName: args.cluster!.clusterName,
        istioNamespace: args.cluster!.istioNamespace,
        parent: this,
        withIntermediate: !caLifecycle.signingRoot,
      });
      this.caLifecycle = caLifecycle;
      this.istiodAdditions = clusterMaterial.istiodAdditions;
      this.issued = clusterMaterial.signingRoot
        ? this.signedByOfflineRoot(clusterMaterial, clusterMaterial.signingRoot, caLifecycle)
        : this.fromRootStack(clusterMaterial);
    }
    this.registerOutputs({});
  }

  /** An exported-key CSR from the intermediate mount (its key is only ever read from the CSR's output). */
  private csr(resourceName: string): {
    csr: vault.pkisecret.SecretBackendIntermediateCertRequest;
    key: pulumi.Output<string>;
  } {
    const inter = this.settings.intermediate;
    const csr = new vault.pkisecret.SecretBackendIntermediateCertRequest(
      resourceName,
      {
        backend: this.interMount.path,
        type: "exported",
        commonName: inter.commonName,
        organization: inter.subject.organization,
        ou: inter.subject.organizationalUnit,
        locality: inter.subject.locality,
        province: inter.subject.province,
        country: inter.subject.country,
        altNames: inter.dnsNames && [...inter.dnsNames],
        ...vaultKey(inter.key),
      },
      { ...this.vopts, additionalSecretOutputs: ["privateKey"] },
    );
    return { csr, key: pulumi.secret(csr.privateKey.apply(pemFile)) };
  }

  /** With the root appended, Vault keeps the chain (for Vault's other consumers; istiod reads the KV secret). */
  private setSigned(
    signedPem: pulumi.Output<string>,
    rootPem: pulumi.Input<string>,
  ): vault.pkisecret.SecretBackendIntermediateSetSigned {
    return new vault.pkisecret.SecretBackendIntermediateSetSigned(
      this.childName("intermediate-set-signed"),
      {
        backend: this.interMount.path,
        certificate: pulumi.all([signedPem, rootPem]).apply(([c, r]) => joinPems([c, pemFile(r)])),
      },
      this.vopts,
    );
  }

  /** The KV secret istiod's agent renders all four files from, written in one go; always secret. */
  private kvSecret(data: pulumi.Output<Record<CaFile, string>>): pulumi.CustomResource {
    const kv = this.settings.kv;
    const kvData = pulumi.secret(data.apply((d) => JSON.stringify(d)));
    const opts = { ...this.vopts, additionalSecretOutputs: ["dataJson", "data"] };
    return kv.version === 2
      ? // deleteAllVersions: a destroy removes every version, so no earlier intermediate key stays in Vault.
        new vault.kv.SecretV2(
          this.childName("intermediate-key"),
          { mount: this.kvMount?.path ?? kv.mount, name: kv.path, dataJson: kvData, deleteAllVersions: true },
          opts,
        )
      : new vault.kv.Secret(
          this.childName("intermediate-key"),
          {
            path: (this.kvMount?.path ?? pulumi.output(kv.mount)).apply((m) => `${m}/${kv.path}`),
            dataJson: kvData,
          },
          opts,
        );
  }

  /** The root's certificate(s) only: `<root mount>` knows the roots, the keys stay offline. */
  private importRoots(bundle: pulumi.Output<string>): pulumi.Resource {
    return new vault.pkisecret.SecretBackendConfigCa(
      this.childName("root-import"),
      { backend: this.rootMount.path, pemBundle: bundle },
      this.vopts,
    );
  }

  /**
   * The material, and the KV secret holding its four files: the intermediate, its key, the chain
   * (intermediate then root(s)) and the trust bundle — one write, so istiod never sees a certificate
   * without its key. `ready`: the PKI resources written for Vault's other consumers.
   */
  private issuedFrom(
    rootCerts: pulumi.Output<string[]>,
    rootCertBundle: pulumi.Output<string>,
    intermediateCert: pulumi.Output<string>,
    intermediateKey: pulumi.Output<string>,
    certChain: pulumi.Output<string>,
    ready: pulumi.Resource[],
  ): IssuedIntermediate {
    const files = pulumi
      .all([intermediateCert, intermediateKey, certChain, rootCertBundle])
      .apply(([cert, key, chain, bundle]) => {
        const data: Record<CaFile, string> = {
          "ca-cert.pem": cert,
          "ca-key.pem": key,
          "cert-chain.pem": chain,
          "root-cert.pem": bundle,
        };
        for (const f of CA_FILES)
          if (!data[f].trim())
            throw new pulumi.ResourceError(`${this.settingsName}: no ${f} to write to the KV secret`, this);
        return data;
      });
    const kv = this.kvSecret(files);
    return {
      material: { rootCerts, rootCertBundle, intermediateCert, intermediateKey, certChain },
      ready: [...ready, kv, this.policy],
    };
  }

  /** Root generated and kept in Vault: Vault signs its own CSR. Unchanged by the CA lifecycle. */
  private internalRoot(rootSettings: VaultInternalRoot): IssuedIntermediate {
    const inter = this.settings.intermediate;
    const { csr, key } = this.csr(this.childName("intermediate-csr"));
    const root = new vault.pkisecret.SecretBackendRootCert(
      this.childName("root-cert"),
      {
        backend: this.rootMount.path,
        type: "internal",
        commonName: rootSettings.commonName,
        organization: rootSettings.organization,
        ttl: rootSettings.ttl,
        ...vaultKey(rootSettings.key),
        // Deleted first when replaced: Vault makes a generated root the mount's default issuer only
        // when there is none, so a replacement created beside the old root would leave the mount with
        // no default issuer once the old one is deleted (pki/cert/ca answers 400; seen on Vault 1.21).
      },
      { ...this.vopts, deleteBeforeReplace: true },
    );
    const rootPem = root.certificate.apply(pemFile);
    // Signed by that root explicitly (the mount can hold other issuers), and signed again whenever
    // the root is replaced: terraform-provider-vault does not force a new signature when issuer_ref
    // changes, so replaceOnChanges does.
    const signed = new vault.pkisecret.SecretBackendRootSignIntermediate(
      this.childName("intermediate-sign"),
      {
        backend: this.rootMount.path,
        issuerRef: root.issuerId,
        csr: csr.csr,
        commonName: inter.commonName,
        organization: inter.subject.organization,
        ttl: inter.ttl,
        format: "pem",
        maxPathLength: 0,
      },
      { ...this.vopts, dependsOn: [root], replaceOnChanges: ["issuerRef"] },
    );
    const signedPem = signed.certificate.apply(pemFile);
    const setSigned = this.setSigned(signedPem, rootPem);
    const rootCerts = rootPem.apply((r) => [r]);
    return this.issuedFrom(
      rootCerts,
      rootCerts.apply(joinPems),
      signedPem,
      key,
      pulumi.all([signedPem, rootPem]).apply(([c, r]) => joinPems([c, r])),
      [root, setSigned],
    );
  }

  /**
   * Offline root, intermediate issued in this stack: the signing root of the phase signs Vault's CSR.
   * CSR and certificate are named by signer and generation (`-r<s>i<n>` after the first), so a
   * generation bump or a cutover is a new key and certificate.
   */
  private signedByOfflineRoot(
    clusterMaterial: ClusterCaMaterial,
    signingRoot: SigningRoot,
    caLifecycle: CaLifecycle,
  ): IssuedIntermediate {
    const inter = this.settings.intermediate;
    const base = caLifecycle.intermediateResourceName(this.childName("intermediate"));
    const { csr, key } = this.csr(`${base}-csr`);
    const signed = new tls.LocallySignedCert(
      `${base}-sign`,
      {
        certRequestPem: csr.csr,
        caCertPem: signingRoot.certPem,
        caPrivateKeyPem: pulumi.secret(signingRoot.keyPem),
        validityPeriodHours: Math.ceil(this.refusing(() => durationSeconds(inter.ttl, "intermediate.ttl")) / 3600),
        isCaCertificate: true,
        maxPathLength: 0,
        allowedUses: [...CA_ALLOWED_USES, "crl_signing"],
        setSubjectKeyId: true,
      },
      { parent: this },
    );
    // The same expiry guard the lifecycle applies to the intermediates it issues itself.
    const signedPem = signed.certPem.apply((pem) => {
      const { warnings, errors } = expiryFindings(
        [{ role: "intermediate (Vault)", pem }],
        this.settings.expiry,
        new Date(),
      );
      for (const w of warnings) pulumi.log.warn(`${this.settingsName}.expiry: ${w}`, this);
      if (errors.length > 0)
        throw new pulumi.ResourceError(`${this.settingsName}.expiry:\n  - ${errors.join("\n  - ")}`, this);
      return pemFile(pem);
    });
    const signerPem = pulumi.output(signingRoot.certPem).apply(pemFile);
    const rootImport = this.importRoots(clusterMaterial.rootCertBundle);
    const setSigned = this.setSigned(signedPem, signerPem);
    return this.issuedFrom(
      clusterMaterial.rootCerts,
      clusterMaterial.rootCertBundle,
      signedPem,
      key,
      pulumi.all([signedPem, signerPem]).apply(([c, r]) => joinPems([c, r])),
      [rootImport, setSigned],
    );
  }

  /**
   * Offline root in a root CA stack: no signing here. The root stack's intermediate (certificate, key
   * and chain) is imported into the intermediate mount as a PEM bundle (a secret).
   */
  private fromRootStack(clusterMaterial: ClusterCaMaterial): IssuedIntermediate {
    const m = clusterMaterial.material;
    if (!m) this.fail("intermediateSource rootStack: the root stack's material is missing");
    const key = pulumi.secret(m.intermediateKey.apply(pemFile));
    const bundle = pulumi.secret(
      pulumi.all([key, m.certChain]).apply(([k, chain]) => joinPems([chain.trim(), k.trim()])),
    );
    const imported = new vault.pkisecret.SecretBackendConfigCa(
      this.childName("intermediate-import"),
      { backend: this.interMount.path, pemBundle: bundle },
      { ...this.vopts, additionalSecretOutputs: ["pemBundle"] },
    );
    const rootImport = this.importRoots(clusterMaterial.rootCertBundle);
    return this.issuedFrom(
      clusterMaterial.rootCerts,
      clusterMaterial.rootCertBundle,
      m.intermediateCert,
      key,
      m.certChain,
      [rootImport, imported],
    );
  }
}

/** A library user's settings: refused against `component` with every problem, or resolved. */
export function resolvedVaultSettings(
  component: MeshComponent,
  settingsName: string,
  given: VaultCaSettings,
): ResolvedVaultCaSettings {
  const problems = vaultSettingsProblems(given);
  if (problems.length > 0) {
    throw new pulumi.ResourceError(describeProblems(settingsName, problems), component);
  }
  return resolveVaultSettings(given);
}

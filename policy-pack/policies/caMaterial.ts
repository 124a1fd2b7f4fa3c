import {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import * as tls from "@pulumi/tls";
import { X509Certificate } from "crypto";
import { MANDATORY, configWithDefaults, known, stringList } from "./common";

/**
 * CA material made with @pulumi/tls: key strength, intermediate path length (as really encoded), intermediate lifetime.
 */

export interface KeyStrengthConfig {
  minRsaBits: number;
  allowedEcdsaCurves: string[];
}

const KEY_DEFAULTS: KeyStrengthConfig = { minRsaBits: 2048, allowedEcdsaCurves: ["P256", "P384", "P521"] };

export const tlsKeyStrength: ResourceValidationPolicy = {
  name: "tls-key-strength",
  description:
    "tls PrivateKey: RSA keys of at least 2048 bits, ECDSA on P256 or stronger (the provider defaults to P224).",
  enforcementLevel: MANDATORY,
  severity: "high",
  configSchema: {
    properties: {
      minRsaBits: {
        type: "integer",
        default: KEY_DEFAULTS.minRsaBits,
        minimum: 2048,
        description: "Smallest RSA modulus accepted.",
      },
      allowedEcdsaCurves: stringList("ECDSA curves accepted.", KEY_DEFAULTS.allowedEcdsaCurves),
    },
  },
  validateResource: validateResourceOfType(tls.PrivateKey, (key, args, reportViolation) => {
    const cfg = configWithDefaults<KeyStrengthConfig>(args.getConfig, KEY_DEFAULTS);
    if (key.algorithm === "RSA") {
      const bits = key.rsaBits ?? 2048; // the provider's default
      if (bits < cfg.minRsaBits) reportViolation(`RSA key of ${bits} bits; use at least ${cfg.minRsaBits}.`);
    } else if (key.algorithm === "ECDSA") {
      const curve = key.ecdsaCurve ?? "P224"; // the provider's default, too weak: always set it
      if (!cfg.allowedEcdsaCurves.includes(curve)) {
        reportViolation(
          `ECDSA key on ${curve}${key.ecdsaCurve ? "" : " (the provider default, ecdsaCurve unset)"}; use one of ${cfg.allowedEcdsaCurves.join(", ")}.`,
        );
      }
    }
  }),
};

/**
 * The path length constraint a tls.LocallySignedCert really carries, from its inputs.
 * terraform-provider-tls (behind @pulumi/tls) copies maxPathLength to Go's x509 `MaxPathLen` only
 * when it is >= 0 and never sets `MaxPathLenZero` (internal/provider/common_cert.go,
 * createCertificate); Go writes `MaxPathLen == 0` without `MaxPathLenZero` as "no limit". So 0, -1
 * and unset all give a certificate WITHOUT pathlen: only values >= 1 are encoded.
 */
export function encodedPathLength(maxPathLength: unknown): number | undefined {
  return typeof maxPathLength === "number" && maxPathLength >= 1 ? maxPathLength : undefined;
}

export interface IntermediatePathLengthConfig {
  /** Largest path length constraint accepted on an intermediate. */
  maxPathLength: number;
  /** Whether an intermediate that carries no path length constraint at all passes. */
  allowUnconstrained: boolean;
}

/**
 * maxPathLength 1 is the tightest constraint @pulumi/tls can put in a certificate; 0 (what Istio's
 * two-level hierarchy calls for) it cannot, so unconstrained intermediates are tolerated by default:
 * the product's own tls intermediates are unconstrained.
 */
const PATH_LENGTH_DEFAULTS: IntermediatePathLengthConfig = { maxPathLength: 1, allowUnconstrained: true };

const NO_PATHLEN_0 =
  "@pulumi/tls cannot encode pathlen:0: maxPathLength 0, -1 or unset all give a certificate without a path length constraint";

export const intermediatePathLength: ResourceValidationPolicy = {
  name: "ca-intermediate-path-length",
  description:
    "A locally signed CA certificate (an intermediate) carries no path length constraint looser than allowed, judged on " +
    `what the certificate really gets: ${NO_PATHLEN_0}; only maxPathLength >= 1 is encoded. ` +
    "Intermediates without any constraint pass unless allowUnconstrained is false.",
  enforcementLevel: MANDATORY,
  severity: "high",
  configSchema: {
    properties: {
      maxPathLength: {
        type: "integer",
        default: PATH_LENGTH_DEFAULTS.maxPathLength,
        minimum: 0,
        description:
          "Largest encoded path length accepted on intermediates. 1 is the tightest @pulumi/tls can encode; 0 accepts no tls-made intermediate with allowUnconstrained false.",
      },
      allowUnconstrained: {
        type: "boolean",
        default: PATH_LENGTH_DEFAULTS.allowUnconstrained,
        description:
          "Accept intermediates without any path length constraint (maxPathLength 0, -1 or unset). false requires an encoded constraint: maxPathLength >= 1, or pathlen:0 from outside @pulumi/tls (Vault, your own PKI).",
      },
    },
  },
  validateResource: validateResourceOfType(tls.LocallySignedCert, (cert, args, reportViolation) => {
    if (cert.isCaCertificate !== true) return;
    const cfg = configWithDefaults<IntermediatePathLengthConfig>(args.getConfig, PATH_LENGTH_DEFAULTS);
    const declared = cert.maxPathLength;
    const encoded = encodedPathLength(declared);
    if (encoded === undefined) {
      if (cfg.allowUnconstrained) return;
      const what = declared === 0 ? "maxPathLength 0 is not encoded" : `maxPathLength ${declared ?? "unset"}`;
      reportViolation(
        `intermediate CA without a path length constraint (${what}; ${NO_PATHLEN_0}). ` +
          (cfg.maxPathLength >= 1 ? `Set maxPathLength between 1 and ${cfg.maxPathLength}, or issue` : "Issue") +
          " the intermediate where pathlen:0 can be set (Vault, or your own PKI with the provided backend).",
      );
    } else if (encoded > cfg.maxPathLength) {
      reportViolation(
        `intermediate CA with path length ${encoded}; at most ${cfg.maxPathLength} allowed` +
          (cfg.maxPathLength >= 1 ? "." : ` (and ${NO_PATHLEN_0}).`),
      );
    }
  }),
};

const HOUR_MS = 3_600_000;
const CERT_TYPES = ["tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"];

/** When a certificate resource stops being valid: its recorded end, else (not created yet) now + its lifetime. */
function plannedEnd(cert: Record<string, unknown>, now: Date): Date | undefined {
  const end = known(cert, "validityEndTime");
  if (typeof end === "string" && end) return new Date(end);
  const hours = known(cert, "validityPeriodHours");
  return typeof hours === "number" ? new Date(now.getTime() + hours * HOUR_MS) : undefined;
}

/** The issuer's end of validity: from the issuer PEM when known, else from the issuing resource in the stack. */
function issuerEnd(cert: PolicyResource, all: PolicyResource[], now: Date): { end: Date; issuer: string } | undefined {
  const caPem = known(cert.props, "caCertPem");
  if (typeof caPem === "string" && caPem.includes("BEGIN CERTIFICATE")) {
    const byPem = all.find((r) => CERT_TYPES.includes(r.type) && known(r.props, "certPem") === caPem);
    return {
      end: new Date(new X509Certificate(caPem).validTo),
      issuer: byPem?.name ?? new X509Certificate(caPem).subject.replace(/\n/g, ", "),
    };
  }
  // Preview of a new stack: the PEM is unknown, but the engine records which resource it comes from.
  const issuer = (cert.propertyDependencies?.caCertPem ?? []).find((r) => CERT_TYPES.includes(r.type));
  const end = issuer ? plannedEnd(issuer.props, now) : undefined;
  return issuer && end ? { end, issuer: issuer.name } : undefined;
}

/** An intermediate must expire no later than the certificate that signed it (else the chain breaks first). */
export function intermediateWithinRootPolicy(now: () => Date = () => new Date()): StackValidationPolicy {
  return {
    name: "ca-intermediate-within-root",
    description: "A locally signed CA certificate expires no later than the certificate that signed it.",
    enforcementLevel: MANDATORY,
    severity: "high",
    validateStack: (args, reportViolation) => {
      const at = now();
      for (const cert of args.resources) {
        if (
          cert.type !== "tls:index/locallySignedCert:LocallySignedCert" ||
          known(cert.props, "isCaCertificate") !== true
        )
          continue;
        const end = plannedEnd(cert.props, at);
        const issuer = issuerEnd(cert, args.resources, at);
        if (end && issuer && end.getTime() > issuer.end.getTime()) {
          reportViolation(
            `intermediate ${cert.name} is valid until ${end.toISOString()}, after its issuer ${issuer.issuer} expires (${issuer.end.toISOString()}); shorten the intermediate or rotate the root first.`,
            cert.urn,
          );
        }
      }
    },
  };
}

export const intermediateWithinRoot = intermediateWithinRootPolicy();

export const caMaterialPolicies = [tlsKeyStrength, intermediatePathLength, intermediateWithinRoot];

import { z } from "zod";

/** A DNS-1123 label: Kubernetes names of namespaces, clusters and our resources. */
export const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
  );
export const labels = z.record(z.string().min(1), z.string());
export const port = z.number().int().min(1).max(65535);

/** A config problem found by a cross-check: `path` relative to the whole config (e.g. `["ca", "clusters", "a"]`). */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  input?: unknown;
}

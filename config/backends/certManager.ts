import { CertManagerCa } from "../../components/ca/certManager";
import { CertManagerConfig, certManagerConfigSchema, namespaceProblems } from "../../components/ca/certManager/config";
import { defineAdapter, noLifecycle, nothingShared } from "./adapter";

/** `backend: certManager` — cert-manager signs: Kubernetes CSR signers (istiod as RA) or istio-csr. */
export const certManagerAdapter = defineAdapter<"certManager", CertManagerConfig, undefined>({
  backend: "certManager",
  schema: certManagerConfigSchema,
  validate: (config, stack) => namespaceProblems(config, stack),
  shared: nothingShared,
  lifecycle: noLifecycle,
  create: (name, config, ctx, opts) => new CertManagerCa(name, {
    config, provider: ctx.provider, istioNamespace: ctx.istioNamespace, istioRevision: ctx.istioRevision, namespacesReady: ctx.namespacesReady,
  }, opts),
});

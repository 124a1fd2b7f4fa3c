import { z } from "zod";
import { CaLifecycle, createCaLifecycle } from "../../components/ca/lifecycle";
import { LifecycleSettings } from "../../components/ca/lifecycle/settings";
import { SelfSignedCa } from "../../components/ca/selfSigned";
import { conforms } from "../conforms";
import { lifecycleConfigFields, lifecycleConfigIssues } from "../lifecycle";
import { CA_CONFIG_KEY, defineAdapter, previousLifecycle } from "./adapter";

/**
 * `backend: selfSigned` — Istio's "plug in CA certificates" procedure (tools/certs Makefile): an
 * offline-style root in this stack (or a root stack) and one intermediate per cluster in `cacerts`.
 */
export const selfSignedConfigSchema = conforms<LifecycleSettings & { backend: "selfSigned" }>()(
  z
    .strictObject({
      backend: z.literal("selfSigned"),
      /** Root and intermediate params, intermediate source (this stack or a root stack), rotation, expiry guards. */
      ...lifecycleConfigFields,
    })
    .superRefine((cfg, ctx) => {
      for (const p of lifecycleConfigIssues(cfg)) ctx.addIssue({ code: "custom", ...p });
    }),
);
export type SelfSignedConfig = z.infer<typeof selfSignedConfigSchema>;

export const selfSignedAdapter = defineAdapter<"selfSigned", SelfSignedConfig, CaLifecycle>({
  backend: "selfSigned",
  schema: selfSignedConfigSchema,
  shared: (name, config, stack, opts) =>
    createCaLifecycle(
      name,
      { ...config, ...previousLifecycle(stack, `${name}-lifecycle-previous`, opts), settingsName: CA_CONFIG_KEY },
      opts,
    ),
  lifecycle: (ca) => ca,
  create: (name, _config, ctx, opts) =>
    new SelfSignedCa(
      name,
      {
        caLifecycle: ctx.shared,
        clusterName: ctx.clusterName,
        istioNamespace: ctx.istioNamespace,
      },
      opts,
    ),
});

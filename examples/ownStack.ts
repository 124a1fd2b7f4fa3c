// The README's composition example, type-checked and run under mocks by test/examples/ownStack.test.ts.
import * as k8s from "@pulumi/kubernetes";
import { OfflineCa } from "../components/ca/lifecycle";
import { SelfSignedCa, selfSignedConfigSchema } from "../components/ca/selfSigned";
import { IstioInstall } from "../components/istio/istioInstall";
import { MeshMtls } from "../components/policy/mtls";

// The same schema as stack config: defaults filled in, bad values refused before anything exists.
const caConfig = selfSignedConfigSchema.parse({ backend: "selfSigned", root: { validityDays: 3650 } });
const offlineCa = new OfflineCa("corp", { config: caConfig, configKey: "my-stack:ca" });

// enableSecretMutable: a CA rotation updates `cacerts` in place instead of deleting and re-creating it.
const provider = new k8s.Provider("prod-eu", { context: "prod-eu", enableSecretMutable: true });
const ca = new SelfSignedCa("prod-eu-ca", { offlineCa, clusterName: "prod-eu", istioNamespace: "istio-system" });
const istio = new IstioInstall("prod-eu-istio", {
  provider, namespace: "istio-system", createNamespace: true,
  chartSource: { repository: "https://istio-release.storage.googleapis.com/charts", version: "1.29.2" },
  ca,                                    // any CaBackend: the install never asks which
  transform: { istiod: (args) => { args.skipAwait = false; } },   // per-child escape hatch
});
new MeshMtls("prod-eu-mtls", { provider, rootNamespace: "istio-system", meshMode: "STRICT",
  namespaces: [], exceptions: [], dependsOn: [istio] });

// Rotation safety reads the previous phase back from this output (see "Rotating CA certificates").
export const caLifecycle = offlineCa.caLifecycle;

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IstioInstall, MESH_PROVIDER_OPTIONS, MeshMtls, OfflineCa, SelfSignedCa } from "istio-mesh-ca";
import { selfSignedConfigSchema } from "istio-mesh-ca/config";

// Your stack's own settings, all optional: which cluster, and where Istio's charts come from.
const settings = new pulumi.Config();
const cluster = settings.get("cluster") ?? "prod-eu";
const chartPath = settings.get("istioChartPath");   // a directory holding base/ and istiod/ (air-gapped)

// The same schema as stack config: defaults filled in, bad values refused before anything exists.
const caConfig = selfSignedConfigSchema.parse({ backend: "selfSigned", root: { validityDays: 3650 } });
const offlineCa = new OfflineCa("corp", { config: caConfig, configKey: "my-stack:ca" });

// MESH_PROVIDER_OPTIONS (enableSecretMutable): a CA rotation updates `cacerts` in place instead of
// deleting and re-creating it. No context set: the kubeconfig's current one.
const provider = new k8s.Provider(cluster, { context: settings.get("kubeContext"), ...MESH_PROVIDER_OPTIONS });
const ca = new SelfSignedCa(`${cluster}-ca`, { offlineCa, clusterName: cluster, istioNamespace: "istio-system" });
const istio = new IstioInstall(`${cluster}-istio`, {
  provider, namespace: "istio-system", createNamespace: true,
  chartSource: chartPath ? { path: chartPath }
    : { repository: "https://istio-release.storage.googleapis.com/charts", version: "1.29.2" },
  ca,                                                  // any CaBackend: the install never asks which
  skipAwait: settings.getBoolean("skipAwait"),         // true on a cluster without nodes
});
new MeshMtls(`${cluster}-mtls`, { provider, rootNamespace: "istio-system", meshMode: "STRICT",
  namespaces: [], exceptions: [], dependsOn: [istio] });

// Rotation safety reads the previous phase back from this output (see "Rotating CA certificates").
export const caLifecycle = offlineCa.caLifecycle;

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  IstioInstall,
  MESH_PROVIDER_OPTIONS,
  MeshMtls,
  SelfSignedCa,
  createCaLifecycle,
  readPreviousLifecycleState,
} from "istio-mesh-ca";

// Your stack's own settings, all optional: which cluster, and where Istio's charts come from.
const settings = new pulumi.Config();
const cluster = settings.get("cluster") ?? "prod-eu";
const chartPath = settings.get("istioChartPath"); // a directory holding base/ and istiod/ (air-gapped)

// The stack's root (RSA 4096 unless told otherwise) and its rotation state; bad values are refused
// by the components themselves, before anything is created. `previous`: the state this stack's last
// deployment exported (below), so that a rotation phase applied out of order is refused.
const lifecycle = createCaLifecycle("corp", {
  root: { validityDays: 3650 },
  previous: readPreviousLifecycleState("corp-previous"),
});

// MESH_PROVIDER_OPTIONS (enableSecretMutable): a CA rotation updates `cacerts` in place instead of
// deleting and re-creating it. No context set: the kubeconfig's current one.
const provider = new k8s.Provider(cluster, { context: settings.get("kubeContext"), ...MESH_PROVIDER_OPTIONS });
const ca = new SelfSignedCa(`${cluster}-ca`, { caLifecycle: lifecycle, clusterName: cluster });
const istio = new IstioInstall(`${cluster}-istio`, {
  provider,
  ca, // any CaBackend: the install never asks which
  ...(chartPath ? { chartSource: { path: chartPath } } : {}), // default: Istio's repository, 1.29.2
  skipAwait: settings.getBoolean("skipAwait"), // true on a cluster without nodes
  transform: { namespace: { metadata: { labels: { team: "platform" } } } }, // per-child escape hatch
});
new MeshMtls(`${cluster}-mtls`, { provider, meshMode: "STRICT", dependsOn: [istio] });

// The next deployment reads its previous phase back from this output (see "Rotating CA certificates").
export const caLifecycle = lifecycle.state;

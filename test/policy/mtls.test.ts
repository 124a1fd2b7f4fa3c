import { byName, ofType, runProgram, ProgramRun } from "../harness/program";
import { peerAuthentication } from "../../components/policy/mtls";

describe("peerAuthentication model", () => {
  it("refuses portLevelMtls without a selector", () => {
    expect(() => peerAuthentication("x", "ns", "STRICT", undefined, { "80": "DISABLE" })).toThrow(
      "PeerAuthentication ns/x: portLevelMtls needs a workload selector",
    );
  });
  it("validates against the upstream schema", () => {
    expect(() => peerAuthentication("x", "ns", "SOMETIMES" as never).validate()).toThrow(
      /must be equal to one of the allowed values/,
    );
  });
});

/** Namespaces, modes and exceptions are lists in config; ECDSA keys keep this run fast. */
describe("mTLS policies from config (PERMISSIVE migration, port exceptions, two clusters)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({
      clusters: [
        { name: "east", kubeContext: "east-admin" },
        { name: "west", kubeconfig: "/etc/kube/west.yaml" },
      ],
      ca: {
        backend: "selfSigned",
        root: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
        intermediate: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
      },
      mtls: {
        mode: "STRICT",
        exceptions: [
          {
            name: "legacy-metrics",
            namespace: "legacy",
            selector: { app: "exporter" },
            ports: { "9100": "PERMISSIVE", "9101": "DISABLE" },
          },
        ],
      },
      namespaces: [
        { name: "payments", mtls: "STRICT" },
        { name: "legacy", mtls: "PERMISSIVE", labels: { team: "old" } },
        { name: "shared", create: false, injection: false },
      ],
    });
    expect(run.error).toBeUndefined();
  });

  it("targets each cluster through its own provider settings", () => {
    expect(byName(run, "east-k8s").inputs).toMatchObject({ context: "east-admin" });
    expect(byName(run, "west-k8s").inputs).toMatchObject({ kubeconfig: "/etc/kube/west.yaml" });
  });

  it("creates the declared namespaces, not the referenced one, in both clusters", () => {
    expect(
      ofType(run, "core/v1:Namespace")
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "east-istio-namespace",
      "east-ns-legacy",
      "east-ns-payments",
      "west-istio-namespace",
      "west-ns-legacy",
      "west-ns-payments",
    ]);
    expect(byName(run, "east-ns-legacy").inputs.metadata.labels).toEqual({ team: "old", "istio-injection": "enabled" });
  });

  it("declares mesh-wide STRICT, per-namespace modes and the port exception", () => {
    const pas = ofType(run, "PeerAuthentication").filter((r) => r.name.startsWith("east-"));
    expect(pas.map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort()).toEqual([
      "istio-system/default",
      "legacy/default",
      "legacy/legacy-metrics",
      "payments/default",
    ]);
    expect(byName(run, "east-mtls-ns-legacy").inputs.spec).toEqual({ mtls: { mode: "PERMISSIVE" } });
    expect(byName(run, "east-mtls-legacy-legacy-metrics").inputs.spec).toEqual({
      selector: { matchLabels: { app: "exporter" } },
      portLevelMtls: { "9100": { mode: "PERMISSIVE" }, "9101": { mode: "DISABLE" } },
    });
  });

  it("uses the ECDSA curve from config, never the provider's P224 default", () => {
    for (const k of ofType(run, "tls:index/privateKey:PrivateKey"))
      expect(k.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("does not enable sidecar ingress TLS in istiod when no workload uses it", () => {
    expect(byName(run, "east-istio-istiod").inputs.values.pilot.env).toEqual({});
  });
});

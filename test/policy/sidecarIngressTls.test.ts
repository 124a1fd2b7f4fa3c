import { byName, ofType, runUnderMocks, ProgramRun } from "../harness/program";
import { OpensslDir } from "../harness/openssl";
import { userVolumeAnnotations } from "../../components/policy/sidecarIngressTls";

describe("userVolumeAnnotations", () => {
  it("mounts the TLS secret and, for MUTUAL, the CA secret into istio-proxy", () => {
    const a = userVolumeAnnotations({ tls: "t", ca: "c" }, { tls: "/certs", ca: "/ca/" }, true);
    expect(JSON.parse(a["sidecar.istio.io/userVolume"])).toEqual({
      "tls-secret": { secret: { secretName: "t" } },
      "tls-ca-secret": { secret: { secretName: "c" } },
    });
    expect(JSON.parse(a["sidecar.istio.io/userVolumeMount"])).toEqual({
      "tls-secret": { mountPath: "/certs/", readOnly: true },
      "tls-ca-secret": { mountPath: "/ca/", readOnly: true },
    });
  });
  it("SIMPLE needs no CA volume", () => {
    const a = userVolumeAnnotations({ tls: "t", ca: "c" }, { tls: "/certs/", ca: "/ca/" }, false);
    expect(Object.keys(JSON.parse(a["sidecar.istio.io/userVolume"]))).toEqual(["tls-secret"]);
  });
});

describe("SidecarIngressTls", () => {
  const component = (extra: Record<string, unknown>) => () => {
    const k8s = require("@pulumi/kubernetes");
    const { SidecarIngressTls } = require("../../components/policy/sidecarIngressTls");
    const c = new SidecarIngressTls("web", {
      provider: new k8s.Provider("p", {}),
      workloadName: "web",
      namespace: "shop",
      selector: { app: "web" },
      port: 8443,
      portName: "external",
      defaultEndpoint: "127.0.0.1:8080",
      additionalIngress: [],
      secretNames: { tls: "web-tls", ca: "web-ca" },
      mountPaths: { tls: "/etc/istio/tls-certs/", ca: "/etc/istio/tls-ca-certs/" },
      ...extra,
    });
    return { client: c.clientCertPem, clientKey: c.clientKeyPem, ca: c.caCertPem };
  };

  describe("MUTUAL with generated certificates", () => {
    let run: ProgramRun;
    const ssl = new OpensslDir();
    beforeAll(async () => {
      run = await runUnderMocks(
        component({
          mode: "MUTUAL",
          certificates: {
            generate: {
              serverDnsNames: ["web.shop.svc.cluster.local", "shop.example.com"],
              clientCommonName: "partner",
              validityDays: 30,
            },
          },
        }),
        {},
      );
      expect(run.error).toBeUndefined();
    });
    afterAll(() => ssl.cleanup());

    it("the server certificate carries the SANs, chains to the generated CA, and a client cert from it verifies", () => {
      const tls = byName(run, "web-tls").inputs.stringData;
      ssl.write("server.pem", tls["tls.crt"]);
      ssl.write("ca.pem", byName(run, "web-ca").inputs.stringData["ca.crt"]);
      ssl.write("client.pem", run.outputs.client);
      expect(ssl.verify("-CAfile", "ca.pem", "-purpose", "sslserver", "server.pem").ok).toBe(true);
      expect(ssl.verify("-CAfile", "ca.pem", "-purpose", "sslclient", "client.pem").ok).toBe(true);
      expect(ssl.run("x509", "-in", "server.pem", "-noout", "-ext", "subjectAltName")).toMatch(
        /DNS:web.shop.svc.cluster.local, DNS:shop.example.com/,
      );
    });

    it("exports the client key only as a secret", () => {
      expect(run.secretOutputPaths).toEqual(["clientKey"]);
    });
  });

  describe("SIMPLE with provided certificates", () => {
    let run: ProgramRun;
    beforeAll(async () => {
      run = await runUnderMocks(() => {
        const pulumi = require("@pulumi/pulumi");
        return component({
          mode: "SIMPLE",
          certificates: { provided: { serverCertPem: "CERT", serverKeyPem: pulumi.secret("KEY") } },
        })();
      }, {});
      expect(run.error).toBeUndefined();
    });

    it("creates only the TLS secret, and a Sidecar without caCertificates", () => {
      expect(ofType(run, "core/v1:Secret").map((r) => r.name)).toEqual(["web-tls"]);
      expect(byName(run, "web-sidecar").inputs.spec.ingress[0].tls).toEqual({
        mode: "SIMPLE",
        serverCertificate: "/etc/istio/tls-certs/tls.crt",
        privateKey: "/etc/istio/tls-certs/tls.key",
      });
      expect(byName(run, "web-sidecar").inputs.spec.ingress[0].defaultEndpoint).toBe("127.0.0.1:8080");
    });
  });

  it("MUTUAL without a CA is refused before anything is registered", async () => {
    const run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      return component({
        mode: "MUTUAL",
        certificates: { provided: { serverCertPem: "CERT", serverKeyPem: pulumi.secret("KEY") } },
      })();
    }, {});
    // A ResourceError: Pulumi reports it against the component (its URN names "web").
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(
      "mode MUTUAL needs a CA certificate to verify clients (certificates.provided.caCertPem)",
    );
    expect(ofType(run, "kubernetes:")).toEqual([]);
  });

  it("an invalid Sidecar is refused against the upstream schema", async () => {
    const run = await runUnderMocks(
      component({
        mode: "MUTUAL",
        port: "not-a-port",
        certificates: { generate: { serverDnsNames: ["a"], clientCommonName: "c", validityDays: 1 } },
      }),
      {},
    );
    expect(run.error?.message).toMatch(/invalid against the upstream schema/);
    // Checked before the generated certificates: nothing of the workload is registered.
    expect(run.resources.filter((r) => r.type.startsWith("tls:") || r.type.startsWith("kubernetes:core"))).toEqual([]);
  });
});

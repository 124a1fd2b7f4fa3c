import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { policies } from "../../policy-pack/policies";

/**
 * Boots the pack the way the Pulumi CLI's `pulumi-analyzer-policy` shim does (node resolves
 * @pulumi/pulumi/cmd/run-policy-pack from the pack directory and runs it there) in a child process,
 * then talks to it over the analyzer gRPC protocol. Proves the pack loads with the repository's
 * node_modules alone, and that the SDK's own server runs our policies.
 */

const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const PACK_DIR = path.resolve(__dirname, "../../policy-pack");

describe("policy pack served by the Pulumi policy runtime", () => {
  let child: ChildProcess;
  let client: any;

  beforeAll(async () => {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
    child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => {
      stderr += String(d);
    });
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (d) => resolve(String(d).trim()));
      child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 90000);

  afterAll(() => {
    client?.close();
    child?.kill();
  });

  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
    );

  it("announces the pack, its version from package.json, and every policy with its enforcement level", async () => {
    const info = await call<any>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("istio-mesh-ca-guardrails");
    expect(info.getVersion()).toBe(require(path.join(PACK_DIR, "package.json")).version);
    const served = info
      .getPoliciesList()
      .map((p: any) => p.getName())
      .sort();
    expect(served).toEqual(policies.map((p) => p.name).sort());
  });

  const analyzePeerAuthentication = async (mode: string) => {
    const req = new analyzerPb.AnalyzeRequest();
    const type = "kubernetes:security.istio.io/v1:PeerAuthentication";
    req.setType(type);
    req.setName("ns-payments");
    req.setUrn(`urn:pulumi:dev::istio-mesh-ca::${type}::ns-payments`);
    req.setProperties(
      Struct.fromJavaScript({ metadata: { name: "default", namespace: "payments" }, spec: { mtls: { mode } } }),
    );
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const res = await call<any>("analyze", req);
    return res
      .getDiagnosticsList()
      .map((d: any) => ({ policy: d.getPolicyname(), message: d.getMessage(), level: d.getEnforcementlevel() }));
  };

  it("reports a namespace-wide DISABLE through the real analyzer path, as mandatory", async () => {
    expect(await analyzePeerAuthentication("DISABLE")).toEqual([
      {
        policy: "mtls-no-namespace-disable",
        message: expect.stringMatching(/namespace payments disables mTLS/),
        level: analyzerPb.EnforcementLevel.MANDATORY,
      },
    ]);
    expect(await analyzePeerAuthentication("STRICT")).toEqual([]);
  });

  it("reports a mode unknown during preview as 'could not run' (advisory), not as a violation", async () => {
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's unknown-value sentinel
    const diags = await analyzePeerAuthentication(UNKNOWN);
    expect(diags.length).toBeGreaterThan(0);
    for (const d of diags) {
      expect(d.message).toMatch(/can't run policy .* during preview/);
      expect(d.level).toBe(analyzerPb.EnforcementLevel.ADVISORY);
    }
  });
});

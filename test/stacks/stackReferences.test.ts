import * as path from "path";
import { azureMocks } from "../ca/azureKeyVault/fixtures";
import { makeProvidedFixtures } from "../ca/provided/fixtures";
import { ROOT, RunOptions, runProgram, runUnderMocks, stackConfig } from "../harness/program";
import { ROOT_STACK, asReference, rootConfig } from "../ca/lifecycle/support";
import { fakeVault } from "../vault/fakeVault";

/**
 * The StackReferences every shipped stack reads — to its own previous deployment (opened by the stack
 * program, stacks/previousDeployment.ts) and to a root stack — keep their URNs: the name and parent
 * each backend always gave them. They are reads, not registrations, so urnStability does not see them.
 * And every lifecycle gets the previous deployment's state from the stack program: none warns that its
 * rotation-order check is off.
 */

interface Read {
  urn: string;
  stack: string;
}

/** Runs index.ts and records the URN and target stack of every StackReference it reads. */
async function references(
  config: Record<string, unknown>,
  opts: RunOptions,
): Promise<{ reads: Read[]; error?: Error; warnings: string[] }> {
  const reads: Read[] = [];
  const run = await runUnderMocks(
    () => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const monitor = pulumi.runtime.getMonitor() as unknown as {
        readResource(req: ReadRequest, cb: (err: unknown, resp: UrnResponse) => void): void;
      };
      const read = monitor.readResource.bind(monitor);
      monitor.readResource = (req, cb) =>
        read(req, (err, resp) => {
          if (!err && req.getType() === "pulumi:pulumi:StackReference")
            reads.push({ urn: resp.getUrn(), stack: req.getId() });
          cb(err, resp);
        });
      return require(path.join(ROOT, "index")) as Record<string, unknown>;
    },
    config,
    opts,
  );
  return { reads: reads.sort((a, b) => a.urn.localeCompare(b.urn)), error: run.error, warnings: run.warnings };
}
interface ReadRequest {
  getType(): string;
  getId(): string;
}
interface UrnResponse {
  getUrn(): string;
}

const SELF = (stack: string) => `organization/istio-mesh-ca/${stack}`;

describe("StackReference URNs stay what they were", () => {
  const selfOnly = (stack: string, urn: string) => [
    { urn: `urn:pulumi:${stack}::istio-mesh-ca::${urn}`, stack: SELF(stack) },
  ];

  it("selfSigned (dev): mesh-lifecycle-previous at top level", async () => {
    const r = await references(stackConfig("dev"), { stack: "dev" });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual(selfOnly("dev", "pulumi:pulumi:StackReference::mesh-lifecycle-previous"));
  });

  it("vault with an offline root (staging): mesh-pki-lifecycle-previous under the VaultPki", async () => {
    const r = await references(stackConfig("staging"), { stack: "staging", extraState: fakeVault().extraState });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual(
      selfOnly("staging", "istio-mesh-ca:ca:VaultPki$pulumi:pulumi:StackReference::mesh-pki-lifecycle-previous"),
    );
  });

  it("azureKeyVault (prod): mesh-lifecycle-previous at top level", async () => {
    const r = await references(stackConfig("prod"), { stack: "prod", ...azureMocks() });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual(selfOnly("prod", "pulumi:pulumi:StackReference::mesh-lifecycle-previous"));
  });

  it("provided: mesh-provided-previous at top level", async () => {
    const f = makeProvidedFixtures();
    const cfg = stackConfig("provided");
    cfg.ca = {
      ...(cfg.ca as object),
      rootCertPem: f.rootA.cert,
      clusters: {
        cluster1: { caCertPem: f.interA.cert, caKeyPem: f.interA.key, certChainPem: f.interA.cert + f.rootA.cert },
      },
    };
    const r = await references(cfg, { stack: "provided", secretKeys: ["ca"] });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual(selfOnly("provided", "pulumi:pulumi:StackReference::mesh-provided-previous"));
  });

  it("root CA stack: mesh-lifecycle-previous at top level", async () => {
    const r = await references(stackConfig("root"), { stack: "root" });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual(selfOnly("root", "pulumi:pulumi:StackReference::mesh-lifecycle-previous"));
  });

  it("cluster stack of a root stack (cluster-a): mesh-lifecycle-previous and mesh-root-stack at top level", async () => {
    const root = asReference(await runProgram(rootConfig(), { stack: "root" }));
    const r = await references(stackConfig("cluster-a"), {
      stack: "cluster-a",
      extraState: (type, inputs) =>
        type !== "pulumi:pulumi:StackReference"
          ? undefined
          : inputs.name === ROOT_STACK
            ? { outputs: root.outputs, secretOutputNames: root.secretOutputNames }
            : { outputs: {}, secretOutputNames: [] },
    });
    expect(r.error).toBeUndefined();
    expect(r.warnings.filter((w) => /no previous deployment/.test(w))).toEqual([]);
    expect(r.reads).toEqual([
      {
        urn: "urn:pulumi:cluster-a::istio-mesh-ca::pulumi:pulumi:StackReference::mesh-lifecycle-previous",
        stack: SELF("cluster-a"),
      },
      { urn: "urn:pulumi:cluster-a::istio-mesh-ca::pulumi:pulumi:StackReference::mesh-root-stack", stack: ROOT_STACK },
    ]);
  });
});

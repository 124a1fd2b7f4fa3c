import * as fs from "fs";
import * as path from "path";
import { classify, readProjectStackFiles, selectRotation } from "../../scripts/rotate/layout";

const ROOT = path.resolve(__dirname, "../..");

describe("layout: which stacks a rotation covers, from their config", () => {
  const { project, stacks } = readProjectStackFiles(ROOT);
  const layouts = Object.entries(stacks).map(([n, c]) => classify(n, c));
  const byName = Object.fromEntries(layouts.map((l) => [l.stack, l]));

  it("classifies this project's stack files: the root stack, its cluster stacks, single stacks, the backends the conductor cannot check", () => {
    expect(project).toBe("istio-mesh-ca");
    expect(byName.root.role).toEqual({ kind: "rootStack", configKey: "istio-mesh-ca:rootCa" });
    expect(byName["cluster-a"].role).toEqual({ kind: "follower", rootStack: "organization/istio-mesh-ca/root" });
    expect(byName.dev.role).toEqual({ kind: "single", configKey: "istio-mesh-ca:ca", backend: "selfSigned" });
    expect(byName.staging.role).toMatchObject({
      kind: "unsupported",
      why: expect.stringMatching(/^backend vault: .*docs\/rotation.md/),
    });
    expect(byName["cluster-a"].clusters).toEqual([
      {
        stack: "cluster-a",
        cluster: "cluster-a",
        kube: { context: "cluster-a" },
        istioNamespace: "istio-system",
        skipAwait: false,
        restartDeployments: [],
      },
    ]);
  });

  it("--stack root finds every cluster stack that references it; --stack dev is a single stack", () => {
    const r = selectRotation(project, layouts, { stack: "root" });
    expect(r.followers.map((f) => f.stack).sort()).toEqual(["cluster-a", "cluster-b"]);
    expect(selectRotation(project, layouts, { stack: "dev" }).followers).toEqual([]);
  });

  it("refuses selections that would leave a follower behind, name a follower as owner, or no owner", () => {
    expect(() => selectRotation(project, layouts, { stacks: ["root", "cluster-a"] })).toThrow(
      "--stacks leaves out cluster-b, which follows root",
    );
    expect(() => selectRotation(project, layouts, { stack: "cluster-a" })).toThrow(
      "stack cluster-a follows the root stack organization/istio-mesh-ca/root: rotate that stack (--stack root)",
    );
    expect(() => selectRotation(project, layouts, { stacks: ["cluster-a", "cluster-b"] })).toThrow(
      /exactly one stack that owns a root.*none/,
    );
    expect(() => selectRotation(project, layouts, { stacks: ["root", "cluster-a", "cluster-b", "dev"] })).toThrow(
      /exactly one stack that owns a root, got .*dev.*root|root.*dev/,
    );
    expect(() => selectRotation(project, layouts, { stack: "staging" })).toThrow(/backend vault/);
    expect(() => selectRotation(project, layouts, {})).toThrow(/--stack <name> \(candidates: .*dev.*root/);
    expect(() => selectRotation(project, layouts, { stack: "nope" })).toThrow(/stack nope: not found/);
  });

  it("cluster targets carry the stack's kubeconfig, context, istio namespace/revision, skipAwait and its restartDeployments", () => {
    const l = classify("x", {
      "istio-mesh-ca:clusters": [{ name: "c1", kubeconfig: "/k/c1", kubeContext: "ctx" }, { name: "c2" }],
      "istio-mesh-ca:istio": { namespace: "mesh", revision: "1-29", skipAwait: true },
      "istio-mesh-ca:ca": {
        backend: "selfSigned",
        rotation: {
          restartDeployments: [
            { namespace: "shop", name: "web" },
            { namespace: "shop", name: "api", cluster: "c2" },
          ],
        },
      },
    });
    expect(
      l.clusters.map((c) => [
        c.cluster,
        c.kube,
        c.istioNamespace,
        c.revision,
        c.skipAwait,
        c.restartDeployments.map((d) => d.name),
      ]),
    ).toEqual([
      ["c1", { kubeconfig: "/k/c1", context: "ctx" }, "mesh", "1-29", true, ["web"]],
      ["c2", {}, "mesh", "1-29", true, ["web", "api"]],
    ]);
    expect(fs.existsSync(path.join(ROOT, "Pulumi.root.yaml"))).toBe(true);
  });
});

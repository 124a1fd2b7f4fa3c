import * as fs from "fs";
import * as path from "path";
import { azureMocks } from "../ca/azureKeyVault/fixtures";
import { caSecretReads } from "../ca/certManager/fixtures";
import { makeProvidedFixtures } from "../ca/provided/fixtures";
import { ProgramRun, runProgram, stackConfig } from "../harness/program";
import { ROOT_STACK, asReference, deploy, rootConfig } from "../ca/lifecycle/support";
import { fakeVault } from "../vault/fakeVault";

/**
 * Nothing moves: the URN set every shipped stack registers (and a few variants that name resources
 * differently: a root rotation phase, an Istio revision) is compared with the set recorded in
 * test/stacks/urns/ (the URNs deployed stacks have). A URN that disappears
 * is a resource `pulumi up` would delete and re-create — for a root CA, a new root in service.
 * A deliberate change re-records with `URN_FIXTURES=write npx jest test/stacks/urnStability` and
 * must explain, in the commit, why every removed URN is safe (or carry an alias).
 */

const DIR = path.join(__dirname, "urns");
const WRITE = process.env.URN_FIXTURES === "write";

async function rootRun(): Promise<ProgramRun> {
  return runProgram(stackConfig("root"), { stack: "root" });
}

const CASES: Record<string, () => Promise<ProgramRun>> = {
  dev: () => runProgram(stackConfig("dev"), { stack: "dev" }),
  "dev-rotation-dual": () => {
    const cfg = stackConfig("dev") as { ca: Record<string, unknown> };
    return runProgram(
      { ...cfg, ca: { ...cfg.ca, rotation: { rootPhase: "dual", intermediateGeneration: 2 } } },
      { stack: "dev" },
    );
  },
  "dev-revision": () => {
    const cfg = stackConfig("dev");
    return runProgram(
      { ...cfg, istio: { ...(cfg.istio as object), revision: "canary", gateway: { enabled: true } } },
      { stack: "dev" },
    );
  },
  local: () => runProgram(stackConfig("local"), { stack: "local" }),
  prod: () => runProgram(stackConfig("prod"), { stack: "prod", ...azureMocks() }),
  staging: () => runProgram(stackConfig("staging"), { stack: "staging", extraState: fakeVault().extraState }),
  certmanager: () =>
    runProgram(stackConfig("certmanager"), { stack: "certmanager", extraState: caSecretReads().extraState }),
  provided: () => {
    const f = makeProvidedFixtures();
    const cfg = stackConfig("provided");
    cfg.ca = {
      ...(cfg.ca as object),
      rootCertPem: f.rootA.cert,
      clusters: {
        cluster1: { caCertPem: f.interA.cert, caKeyPem: f.interA.key, certChainPem: f.interA.cert + f.rootA.cert },
      },
    };
    return runProgram(cfg, { stack: "provided", secretKeys: ["ca"] });
  },
  root: rootRun,
  "cluster-a": async () =>
    deploy(stackConfig("cluster-a"), undefined, {
      [ROOT_STACK]: asReference(await runProgram(rootConfig(), { stack: "root" })),
    }),
  "cluster-b": async () =>
    deploy(stackConfig("cluster-b"), undefined, {
      [ROOT_STACK]: asReference(await runProgram(rootConfig(), { stack: "root" })),
    }),
};

describe("URNs of every stack stay what they were", () => {
  it.each(Object.keys(CASES))(
    "%s",
    async (name) => {
      const run = await CASES[name]();
      expect(run.error).toBeUndefined();
      const urns = [...new Set(run.urns)].sort();
      const file = path.join(DIR, `${name}.txt`);
      if (WRITE) {
        fs.mkdirSync(DIR, { recursive: true });
        fs.writeFileSync(file, `${urns.join("\n")}\n`);
      }
      const recorded = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
      const now = new Set(urns);
      const before = new Set(recorded);
      expect({ removed: recorded.filter((u) => !now.has(u)), added: urns.filter((u) => !before.has(u)) }).toEqual({
        removed: [],
        added: [],
      });
    },
    180_000,
  );
});

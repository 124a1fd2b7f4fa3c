import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubectlReader } from "../../scripts/rotate/kube";

/**
 * kubectlReader.getMany against a stand-in kubectl that answers as kubectl 1.34 does (checked against
 * the e2e control plane): `get a/x b/y -o json --ignore-not-found` prints a List of the objects found,
 * one name prints the object itself, nothing found prints nothing; a refusal exits 1 with the reason.
 */
describe("kubectlReader.getMany: one kubectl run for several objects of a namespace", () => {
  let dir: string;
  let kubectl: string;
  const secret = { kind: "Secret", metadata: { name: "cacerts", namespace: "istio-system" }, data: { a: "Yg==" } };
  const cm = { kind: "ConfigMap", metadata: { name: "istio-ca-root-cert" }, data: { "root-cert.pem": "x" } };
  const answer = (body: { stdout?: unknown; stderr?: string; code?: number }) =>
    fs.writeFileSync(path.join(dir, "answer.json"), JSON.stringify(body));
  const argsSeen = () => JSON.parse(fs.readFileSync(path.join(dir, "args.json"), "utf8")) as string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-reader-"));
    kubectl = path.join(dir, "kubectl");
    fs.writeFileSync(
      kubectl,
      `#!${process.execPath}
const fs = require("fs"), d = ${JSON.stringify(dir)};
fs.writeFileSync(d + "/args.json", JSON.stringify(process.argv.slice(2)));
const a = JSON.parse(fs.readFileSync(d + "/answer.json", "utf8"));
if (a.stdout !== undefined) process.stdout.write(typeof a.stdout === "string" ? a.stdout : JSON.stringify(a.stdout));
if (a.stderr) process.stderr.write(a.stderr);
process.exitCode = a.code ?? 0;
`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const reader = () => kubectlReader({ context: "a" }, { kubectl });

  it("asks for every name in one run, ignoring absent ones, and finds each by kind and name", async () => {
    answer({ stdout: { apiVersion: "v1", kind: "List", items: [secret, cm] } });
    const found = await reader().getMany("istio-system", [
      { kind: "secret", name: "cacerts" },
      { kind: "deployment", name: "istiod" },
      { kind: "configmap", name: "istio-ca-root-cert" },
    ]);
    expect(argsSeen()).toEqual([
      "--context",
      "a",
      "get",
      "secret/cacerts",
      "deployment/istiod",
      "configmap/istio-ca-root-cert",
      "-n",
      "istio-system",
      "-o",
      "json",
      "--show-managed-fields",
      "--ignore-not-found",
    ]);
    expect(found("secret", "cacerts")).toEqual(secret);
    expect(found("configmap", "istio-ca-root-cert")).toEqual(cm);
    expect(found("deployment", "istiod")).toBeUndefined();
    // Same name, other kind: not confused.
    expect(found("configmap", "cacerts")).toBeUndefined();
  });

  it("one name answered with the object itself; nothing found answered with no output", async () => {
    answer({ stdout: secret });
    expect(
      (await reader().getMany("istio-system", [{ kind: "secret", name: "cacerts" }]))("secret", "cacerts"),
    ).toEqual(secret);
    answer({ stdout: "" });
    const none = await reader().getMany("istio-system", [
      { kind: "secret", name: "cacerts" },
      { kind: "configmap", name: "istio-ca-root-cert" },
    ]);
    expect([none("secret", "cacerts"), none("configmap", "istio-ca-root-cert")]).toEqual([undefined, undefined]);
  });

  it("a refusal is an error naming what was asked, where, and kubectl's reason", async () => {
    answer({ stderr: 'Error from server (Forbidden): secrets "cacerts" is forbidden', code: 1 });
    await expect(reader().getMany("istio-system", [{ kind: "secret", name: "cacerts" }])).rejects.toThrow(
      'kubectl get secret/cacerts -n istio-system (context a): Error from server (Forbidden): secrets "cacerts" is forbidden',
    );
  });

  it("asks nothing when given no names", async () => {
    answer({ stdout: "", code: 1 });
    expect((await reader().getMany("istio-system", []))("secret", "cacerts")).toBeUndefined();
    expect(fs.existsSync(path.join(dir, "args.json"))).toBe(false);
  });
});

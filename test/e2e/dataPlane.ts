import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { OpensslDir, verifyPems } from "../harness/openssl";
import { e2eEnv, mustRun, run } from "./support";
import { getCoreObject } from "./kubeApi";
import { LocalIstiod, fingerprints, pemCerts, uriSans, waitFor } from "./istiod";
import { LocalWorkload } from "./workload";

/**
 * The data plane's proof that a stack's CA and policies work: two proxyless gRPC workloads
 * (test/e2e/workload.ts: Istio's own pilot-agent, our grpc-echo on grpc-go's xDS support) under the
 * stack's STRICT PeerAuthentication, as istiod translates it into xDS (pilot/pkg/networking/grpcgen:
 * under STRICT the server's inbound listener requires a client certificate; the client uses mTLS
 * because of a DestinationRule ISTIO_MUTUAL — proxyless has no auto-mTLS — and checks the server's
 * SAN against the service accounts of the Service's endpoints).
 *
 * The server is a `Service` (selector app=echo-server) with a `WorkloadEntry` at the server's
 * loopback address and service account: the inbound listeners need service targets. It listens on
 * ECHO.strictPort (mTLS) and ECHO.plaintextPort, the port of the stack's port-level exception
 * (`mtls.exceptions`, portLevelMtls DISABLE), added to each stack's config by `withPlaintextPort`.
 */

export const ECHO = { server: "echo-server", client: "echo-client", strictPort: 8080, plaintextPort: 8081 } as const;

/** The config each stack under test gets: a port-level exception (DISABLE) for the echo server's plaintext port. */
export function withPlaintextPort(config: Record<string, any>, namespace: string): void {
  const mtls = (config["istio-mesh-ca:mtls"] ??= {});
  mtls.exceptions = [
    ...(mtls.exceptions ?? []),
    {
      name: "echo-plaintext",
      namespace,
      selector: { app: ECHO.server },
      ports: { [String(ECHO.plaintextPort)]: "DISABLE" },
    },
  ];
}

const kubectl = (kubeconfig: string, args: string[], input?: string) =>
  mustRun("kubectl", ["--kubeconfig", kubeconfig, ...args], { input });

/** One line of `grpc-echo client` output. */
export interface EchoCall {
  call: number;
  ok: boolean;
  code?: string;
  error?: string;
  serverId?: string;
  tls: boolean;
  reply?: { server: string; port: number; tls: boolean; caller: string };
}

/** `grpc-echo client` in a workload's app container: its calls, and the exit code. */
export function echoCalls(
  client: LocalWorkload,
  target: string,
  opts: { n?: number; plaintext?: boolean; timeout?: string } = {},
): { code: number; calls: EchoCall[]; stderr: string } {
  const r = client.exec([
    "client",
    "-target",
    target,
    "-source",
    client.ip,
    "-n",
    String(opts.n ?? 3),
    "-timeout",
    opts.timeout ?? "10s",
    ...(opts.plaintext ? ["-plaintext"] : []),
  ]);
  const calls = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as EchoCall);
  return { code: r.code, calls, stderr: r.stderr };
}

/** `grpc-echo probe`: a TLS client outside the mesh (optional client certificate); what the server did. */
export function probe(
  from: LocalWorkload,
  addr: string,
  cert?: { chain: string; key: string },
): { handshake: boolean; accepted?: boolean; error?: string; serverId?: string } {
  const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "probe-"));
  try {
    const args = ["probe", "-addr", addr, "-source", from.ip];
    if (cert) {
      fs.writeFileSync(path.join(dir, "cert.pem"), cert.chain);
      fs.writeFileSync(path.join(dir, "key.pem"), cert.key, { mode: 0o600 });
      args.push("-cert", path.join(dir, "cert.pem"), "-key", path.join(dir, "key.pem"));
    }
    const r = from.exec(args);
    if (r.code !== 0) throw new Error(`grpc-echo probe exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `openssl verify` of a workload's cert-chain.pem (what istio-agent wrote) against `roots` only: the
 * chain's certificates after the leaf are offered as untrusted, roots among them excluded.
 */
export function verifyWorkloadChain(roots: string, chain: string): { ok: boolean; out: string } {
  const certs = pemCerts(chain);
  const untrusted = certs.slice(1).filter((p) => {
    const c = new X509Certificate(p);
    return !(c.subject === c.issuer && c.checkIssued(c));
  });
  const r = verifyPems(
    { roots, cert: certs[0], untrusted: untrusted.length ? untrusted.join("\n") : undefined },
    { certFile: "leaf.pem", parent: e2eEnv().dir, prefix: "verify-wl-" },
  );
  return { ok: r.ok && r.stdout.trim() === "leaf.pem: OK", out: r.out.trim() };
}

/** A CA of nobody's mesh and a client leaf from it (the identity of `spiffeId`, to make it tempting). */
export function foreignCaLeaf(spiffeId: string): { chain: string; key: string } {
  const ssl = new OpensslDir({ parent: e2eEnv().dir, prefix: "foreign-", exec: mustRun });
  try {
    ssl.selfSigned("ca", {
      subj: "/O=Elsewhere/CN=Foreign Root",
      days: 1,
      addext: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"],
    });
    ssl.leaf("leaf", "ca.pem", "ca.key", { spiffe: spiffeId, subj: "/", criticalSan: true });
    return { chain: ssl.read("leaf.pem"), key: ssl.read("leaf.key") };
  } finally {
    ssl.cleanup();
  }
}

export interface EchoMeshOptions {
  istiod: LocalIstiod;
  /** Directory label under $E2E_DIR/workloads. */
  label: string;
  /** Where the servers and clients run: a namespace the stack declared, or one `createNamespace` makes. */
  namespace: string;
  /** Create the namespace (labelled for injection) when the stack does not declare it. */
  createNamespace?: boolean;
}

/**
 * The echo mesh in one namespace of one cluster: echo servers (each a Service, a WorkloadEntry and a
 * DestinationRule ISTIO_MUTUAL of its own name, so that a client's target picks one server), clients,
 * and the objects they need. `cleanup()` stops the workloads and removes what it made.
 */
export class EchoMesh {
  readonly kubeconfig: string;
  readonly workloads: LocalWorkload[] = [];
  private made: string[][] = [];

  constructor(readonly opts: EchoMeshOptions) {
    this.kubeconfig = opts.istiod.kubeconfig;
    if (opts.createNamespace && !getCoreObject(this.kubeconfig, "namespace", opts.namespace)) {
      this.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: opts.namespace, labels: { "istio-injection": "enabled" } },
      });
    }
  }

  host(service: string = ECHO.server): string {
    return `${service}.${this.opts.namespace}.svc.cluster.local`;
  }

  /** The xDS target of a server's Service. */
  target(service: string = ECHO.server, port: number = ECHO.strictPort): string {
    return `xds:///${this.host(service)}:${port}`;
  }

  private apply(obj: any): void {
    kubectl(this.kubeconfig, ["apply", "-f", "-"], JSON.stringify(obj));
    const group = obj.apiVersion.includes("/") ? `.${obj.apiVersion.split("/")[0]}` : "";
    this.made.push([`${obj.kind.toLowerCase()}${group}`, obj.metadata.name, obj.metadata.namespace ?? ""]);
  }

  /**
   * The objects through which istiod knows a server `service` at `address` with `serviceAccount`: a
   * Service (selector app=<service>, both echo ports), a WorkloadEntry (the address and service
   * account: the inbound listeners' service targets, and the SAN the client checks) and a
   * DestinationRule ISTIO_MUTUAL (proxyless gRPC has no auto-mTLS: the client uses the mesh
   * certificate only when told to).
   */
  endpoint(service: string, address: string, serviceAccount: string): void {
    const ns = this.opts.namespace;
    this.apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: service, namespace: ns },
      spec: {
        selector: { app: service },
        ports: [ECHO.strictPort, ECHO.plaintextPort].map((p) => ({
          name: `grpc-${p}`,
          port: p,
          targetPort: p,
          appProtocol: "grpc",
        })),
      },
    });
    this.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "WorkloadEntry",
      metadata: { name: service, namespace: ns },
      spec: {
        address,
        serviceAccount,
        labels: { app: service },
      },
    });
    this.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: service, namespace: ns },
      spec: {
        host: this.host(service),
        trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
      },
    });
  }

  /** A workload of this mesh (not started). */
  workload(
    name: string,
    serviceAccount: string,
    o: { ports?: number[]; labels?: Record<string, string> } = {},
  ): LocalWorkload {
    const w = new LocalWorkload({
      istiod: this.opts.istiod,
      label: this.opts.label,
      name,
      namespace: this.opts.namespace,
      serviceAccount,
      ports: o.ports,
      labels: o.labels,
    });
    this.workloads.push(w);
    return w;
  }

  /** An echo server `name` (pod label app=<name>) with its Service, WorkloadEntry and DestinationRule; not started. */
  server(name: string = ECHO.server, serviceAccount: string = ECHO.server): LocalWorkload {
    const w = this.workload(name, serviceAccount, {
      ports: [ECHO.strictPort, ECHO.plaintextPort],
      labels: { app: name },
    });
    this.endpoint(name, w.ip, serviceAccount);
    return w;
  }

  /** An echo client (service account echo-client unless given); not started. */
  client(name: string, serviceAccount: string = ECHO.client): LocalWorkload {
    return this.workload(name, serviceAccount);
  }

  /** Starts workloads together (their agents' CSRs overlap), then waits for each to be ready; servers serve. */
  start(...ws: LocalWorkload[]): void {
    for (const w of ws) w.start(false);
    for (const w of ws) w.ready();
    for (const w of ws.filter((x) => (x.opts.ports ?? []).length > 0)) this.serve(w);
  }

  /**
   * Starts a server's app (grpc-echo server on both ports); waits until both listeners are SERVING (istiod's inbound
   * listeners arrived).
   */
  serve(server: LocalWorkload): void {
    server.startApp([
      "server",
      "-name",
      server.opts.name,
      "-addr",
      `${server.ip}:${ECHO.strictPort}`,
      "-addr",
      `${server.ip}:${ECHO.plaintextPort}`,
    ]);
    for (const p of [ECHO.strictPort, ECHO.plaintextPort]) {
      waitFor(
        `${server.opts.name} serving on ${server.ip}:${p}`,
        () => {
          if (server.appExited()) throw new Error(`grpc-echo server exited:\n${server.appLog()}`);
          return new RegExp(`serving mode ${server.ip.replace(/\./g, "\\.")}:${p} SERVING`).test(server.appLog())
            ? true
            : undefined;
        },
        60000,
        () => `${server.appLog()}\n--- agent\n${server.agentLogTail()}`,
      );
    }
  }

  /** The kubelet's volume sync in every running workload (e.g. istio-ca-root-cert after a root change). */
  syncVolumes(): void {
    for (const w of this.workloads.filter((x) => x.running())) w.syncVolumes();
  }

  stop(): void {
    for (const w of this.workloads) w.stop();
  }

  /** Stops the workloads and deletes the objects this mesh made (newest first). */
  cleanup(): void {
    this.stop();
    for (const [kind, name, ns] of [...this.made].reverse()) {
      run("kubectl", [
        "--kubeconfig",
        this.kubeconfig,
        "delete",
        kind,
        name,
        ...(ns ? ["-n", ns] : []),
        "--ignore-not-found",
        "--wait=false",
      ]);
    }
    this.made = [];
  }
}

/** What the checks below found (for later checks of the same test, e.g. a rotation). */
export interface DataPlaneFound {
  mesh: EchoMesh;
  server: LocalWorkload;
  client: LocalWorkload;
}

/** Errors of a call made before istiod's config for a new Service reached the client (retried). */
const NOT_YET = /does not exist|not found|produced zero addresses|no children|resolver|xds: .*resource/i;

/**
 * `n` xDS calls from `client` to the Service `service` (default: the server's own) over mTLS; waits
 * out config propagation; asserts that each side saw the other's SPIFFE ID. Returns the calls.
 */
export function expectConnects(
  client: LocalWorkload,
  server: LocalWorkload,
  o: { service?: string; mesh?: EchoMesh; n?: number } = {},
): EchoCall[] {
  const target = `xds:///${o.service ?? server.opts.name}.${server.opts.namespace}.svc.cluster.local:${ECHO.strictPort}`;
  let last: ReturnType<typeof echoCalls> | undefined;
  const r = waitFor(
    `${client.opts.name} → ${target}`,
    () => {
      last = echoCalls(client, target, { n: o.n ?? 1 });
      return last.code === 0 ? last : undefined;
    },
    60000,
    () =>
      `${JSON.stringify(last)}\n--- server ${server.opts.name}\n${server.appLog().slice(-3000)}\n--- client agent\n${client.agentLogTail(15)}`,
  );
  const seen = r.calls.map((c) => ({
    from: client.opts.name,
    to: c.reply?.server,
    tls: c.tls,
    serverId: c.serverId,
    caller: c.reply?.caller,
  }));
  expect(seen).toEqual(
    r.calls.map(() => ({
      from: client.opts.name,
      to: server.opts.name,
      tls: true,
      serverId: server.spiffeId,
      caller: client.spiffeId,
    })),
  );
  return r.calls;
}

/**
 * One xDS call from `client` to `server` that must fail for a TLS reason (not for config still on its
 * way, which is waited out). Returns the client's error and what the server logged meanwhile.
 */
export function refusedCall(
  client: LocalWorkload,
  server: LocalWorkload,
  service: string = server.opts.name,
): { error: string; server: string } {
  const target = `xds:///${service}.${server.opts.namespace}.svc.cluster.local:${ECHO.strictPort}`;
  const from = server.appLog().length;
  let last: ReturnType<typeof echoCalls> | undefined;
  const r = waitFor(
    `${client.opts.name} → ${target} to fail for a reason other than config propagation`,
    () => {
      last = echoCalls(client, target, { n: 1, timeout: "5s" });
      const e = last.calls[0]?.error ?? last.stderr;
      return last.code === 0 || !NOT_YET.test(e) ? last : undefined;
    },
    60000,
    () => JSON.stringify(last),
  );
  expect({ from: client.opts.name, to: server.opts.name, ok: r.calls[0]?.ok }).toEqual({
    from: client.opts.name,
    to: server.opts.name,
    ok: false,
  });
  return { error: r.calls[0]?.error ?? "", server: server.appLog().slice(from) };
}

/**
 * The data-plane checks every stack whose istiod runs here gets (jest assertions: call inside a test):
 *
 * - the stack's policy: the namespace is STRICT (its own PeerAuthentication, or the mesh-wide one),
 *   and the stack's exception makes ECHO.plaintextPort DISABLE for app=echo-server;
 * - both agents' leaves (OUTPUT_CERTS) chain to `roots` with openssl and carry the expected SPIFFE IDs;
 * - an xDS client completes 3/3 calls over mTLS, each side seeing the other's SPIFFE ID;
 * - refused on the STRICT port, each for its reason in the server's TLS stack: a plaintext client, a
 *   TLS client without a certificate, a client whose certificate comes from another CA; and, with
 *   `otherSigner`, a mesh client of a namespace whose signer the server's namespace does not trust
 *   (cert-manager); the plaintext client goes through on the exception port.
 *
 * Leaves the workloads running (the caller's `mesh.cleanup()` stops them).
 */
export function expectDataPlane(
  o: EchoMeshOptions & { roots: string; rootNamespace?: string; otherSigner?: { namespace: string; roots: string } },
): DataPlaneFound {
  const ns = o.namespace;
  const mesh = new EchoMesh(o);
  // The stack's policy for this namespace, as on the server.
  const pas = JSON.parse(
    kubectl(mesh.kubeconfig, ["get", "peerauthentications.security.istio.io", "-A", "-o", "json"]),
  ).items;
  const nsWide = pas.find((p: any) => p.metadata.namespace === ns && !p.spec.selector);
  const meshWide = pas.find(
    (p: any) => p.metadata.namespace === (o.rootNamespace ?? "istio-system") && !p.spec.selector,
  );
  expect({ ns, mode: nsWide?.spec?.mtls?.mode ?? meshWide?.spec?.mtls?.mode }).toEqual({ ns, mode: "STRICT" });
  const exception = pas.find(
    (p: any) => p.metadata.namespace === ns && p.spec.selector?.matchLabels?.app === ECHO.server,
  );
  expect(exception?.spec?.portLevelMtls).toEqual({ [String(ECHO.plaintextPort)]: { mode: "DISABLE" } });

  const server = mesh.server();
  const client = mesh.client(ECHO.client);
  const other = o.otherSigner ? new EchoMesh({ ...o, namespace: o.otherSigner.namespace }) : undefined;
  const stranger = other?.client(ECHO.client);
  mesh.start(server, client, ...(stranger ? [stranger] : []));

  // The leaves istio-agent got from istiod chain to the stack's roots and name each workload.
  for (const [w, roots] of [
    [server, o.roots],
    [client, o.roots],
    ...(stranger ? [[stranger, o.otherSigner!.roots]] : []),
  ] as [LocalWorkload, string][]) {
    const { chain } = w.certs();
    const leaf = new X509Certificate(pemCerts(chain)[0]);
    expect({
      w: w.opts.name,
      ns: w.opts.namespace,
      sans: uriSans(leaf),
      verify: verifyWorkloadChain(roots, chain),
    }).toEqual({ w: w.opts.name, ns: w.opts.namespace, sans: [w.spiffeId], verify: { ok: true, out: "leaf.pem: OK" } });
  }

  // mTLS through xDS: istiod's listener (STRICT) and cluster (ISTIO_MUTUAL) for these two identities.
  expect(expectConnects(client, server, { n: 3 }).map((c) => c.reply?.port)).toEqual([
    ECHO.strictPort,
    ECHO.strictPort,
    ECHO.strictPort,
  ]);
  expect(server.appLog()).toContain(`tls=true caller="${client.spiffeId}"`);

  // Refused on the STRICT port, each for its reason as the server's TLS stack logs it.
  const strictAddr = `${server.ip}:${ECHO.strictPort}`;
  const serverSaw = (act: () => unknown): { result: unknown; server: string } => {
    const from = server.appLog().length;
    const result = act();
    return {
      result,
      server: waitFor("the server's log of the attempt", () => server.appLog().slice(from) || undefined, 10000),
    };
  };
  const plain = serverSaw(() =>
    echoCalls(client, strictAddr, { plaintext: true, n: 1, timeout: "5s" }).calls.map((c) => ({
      ok: c.ok,
      code: c.code,
    })),
  );
  expect(plain).toEqual({
    result: [{ ok: false, code: "Unavailable" }],
    server: expect.stringContaining("handshake refused"),
  });
  expect(plain.server).toContain("tls: first record does not look like a TLS handshake");
  const noCert = serverSaw(() => probe(client, strictAddr));
  expect(noCert.result).toMatchObject({
    handshake: true,
    accepted: false,
    error: "remote error: tls: certificate required",
  });
  expect(noCert.server).toContain("tls: client didn't provide a certificate");
  const foreign = serverSaw(() => probe(client, strictAddr, foreignCaLeaf(client.spiffeId)));
  expect(foreign.result).toMatchObject({
    handshake: true,
    accepted: false,
    error: "remote error: tls: unknown certificate authority",
  });
  expect(foreign.server).toContain("x509: certificate signed by unknown authority");
  // The client's own mesh certificate, presented the same way, is accepted: the probe is not what fails.
  expect(probe(client, strictAddr, client.certs())).toMatchObject({
    handshake: true,
    accepted: true,
    serverId: server.spiffeId,
  });
  if (stranger) {
    // Its own signer's CA is all the other namespace's client trusts: it refuses the server ...
    expect(refusedCall(stranger, server).error).toMatch(/certificate signed by unknown authority/);
    // ... and the server refuses its certificate, presented directly.
    const seen = serverSaw(() => probe(stranger, strictAddr, stranger.certs()));
    expect(seen.result).toMatchObject({
      handshake: true,
      accepted: false,
      error: "remote error: tls: unknown certificate authority",
    });
    expect(seen.server).toContain("x509: certificate signed by unknown authority");
    other!.cleanup();
  }

  // The stack's exception: plaintext goes through on exactly that port.
  const plainOk = echoCalls(client, `${server.ip}:${ECHO.plaintextPort}`, { plaintext: true, n: 1 });
  expect(plainOk.calls.map((c) => ({ ok: c.ok, tls: c.tls, reply: c.reply }))).toEqual([
    { ok: true, tls: false, reply: { server: ECHO.server, port: ECHO.plaintextPort, tls: false, caller: "" } },
  ]);
  return { mesh, server, client };
}

/** The intermediate that signed a workload's leaf (the chain's second certificate). */
const leafIssuer = (w: LocalWorkload): X509Certificate => new X509Certificate(pemCerts(w.certs().chain)[1]);
const leafOf = (w: LocalWorkload): X509Certificate => new X509Certificate(pemCerts(w.certs().chain)[0]);

/**
 * After an intermediate rotation (istiod already signing with `intermediatePem`): the server and
 * client from before keep their old-intermediate leaves and keep connecting; a restarted client
 * (its leaf renewed from the new intermediate) and the old server, and the old client and a
 * restarted server, complete mTLS — one root, two intermediates, no interruption.
 */
export function expectAcrossIntermediateRotation(found: DataPlaneFound, roots: string, intermediatePem: string): void {
  const { mesh, server, client } = found;
  const intermediate = new X509Certificate(intermediatePem);
  expect(leafOf(client).verify(intermediate.publicKey)).toBe(false);
  expectConnects(client, server);
  const client2 = mesh.client(`${ECHO.client}-renewed`);
  const server2 = mesh.server(`${ECHO.server}-renewed`);
  mesh.start(client2, server2);
  for (const w of [client2, server2]) {
    expect({
      w: w.opts.name,
      fromNew: leafOf(w).verify(intermediate.publicKey),
      chain: verifyWorkloadChain(roots, w.certs().chain).ok,
    }).toEqual({ w: w.opts.name, fromNew: true, chain: true });
  }
  expectConnects(client2, server);
  expectConnects(client, server2);
}

/**
 * The root rotation at the data plane (docs/rotation.md), one phase at a time, each called right
 * after the phase's `pulumi up` and istiod's sync. Workloads "restarted" at a phase are new
 * workloads: what a rollout restart gives (a new leaf, the trust bundle of the moment).
 */
export class RootRotationPlane {
  private dual?: { server: LocalWorkload; client: LocalWorkload };
  private cut?: { server: LocalWorkload; client: LocalWorkload };

  constructor(readonly found: DataPlaneFound) {}

  private restart(phase: string): { server: LocalWorkload; client: LocalWorkload } {
    const { mesh } = this.found;
    mesh.syncVolumes(); // istio-ca-root-cert as the kubelet refreshes it in running pods
    const pair = { server: mesh.server(`${ECHO.server}-${phase}`), client: mesh.client(`${ECHO.client}-${phase}`) };
    mesh.start(pair.server, pair.client);
    return pair;
  }

  /**
   * dual: restarted workloads trust both roots (their agent's root-cert.pem) with leaves still under the old root; old
   * and restarted connect.
   */
  afterDual(oldRootPem: string, newRootPem: string): void {
    this.dual = this.restart("dual");
    for (const w of [this.dual.server, this.dual.client]) {
      expect({ w: w.opts.name, trusts: fingerprints(w.certs().root) }).toEqual({
        w: w.opts.name,
        trusts: [...fingerprints(oldRootPem), ...fingerprints(newRootPem)],
      });
      expect({
        w: w.opts.name,
        old: verifyWorkloadChain(oldRootPem, w.certs().chain).ok,
        new: verifyWorkloadChain(newRootPem, w.certs().chain).ok,
      }).toEqual({ w: w.opts.name, old: true, new: false });
    }
    expectConnects(this.dual.client, this.dual.server);
    expectConnects(this.found.client, this.dual.server);
  }

  /** cutover: a new-root client and the dual-phase (old-root) server connect, and the other way round. */
  afterCutover(oldRootPem: string, newRootPem: string): void {
    this.cut = this.restart("cutover");
    for (const w of [this.cut.server, this.cut.client]) {
      expect({
        w: w.opts.name,
        old: verifyWorkloadChain(oldRootPem, w.certs().chain).ok,
        new: verifyWorkloadChain(newRootPem, w.certs().chain).ok,
      }).toEqual({ w: w.opts.name, old: false, new: true });
    }
    expectConnects(this.cut.client, this.dual!.server);
    expectConnects(this.dual!.client, this.cut.server);
    // The workloads of before the rotation are no longer needed.
    this.found.server.stop();
    this.found.client.stop();
  }

  /**
   * finalize: restarted workloads trust the new root only; a new-root leaf (cutover) is accepted, an
   * old-root leaf (dual) is refused by the server, and an old-root server by the client.
   */
  afterFinalize(newRootPem: string): void {
    const fin = this.restart("finalize");
    for (const w of [fin.server, fin.client])
      expect({ w: w.opts.name, trusts: fingerprints(w.certs().root) }).toEqual({
        w: w.opts.name,
        trusts: fingerprints(newRootPem),
      });
    expectConnects(fin.client, fin.server);
    expectConnects(this.cut!.client, fin.server);
    const oldLeafClient = refusedCall(this.dual!.client, fin.server);
    expect(oldLeafClient.server).toMatch(/handshake refused .*x509: certificate signed by unknown authority/);
    expect(refusedCall(fin.client, this.dual!.server).error).toMatch(/certificate signed by unknown authority/);
  }
}

/**
 * Two clusters, one root (multiCluster): a server and a client on cluster-a (`found`, istiod of
 * cluster-a, leaves from its intermediate) and a server and a client on cluster-b (istiod of
 * cluster-b, leaves from cluster-b's intermediate) complete mTLS across the clusters, both ways.
 * Each cluster knows the other's server as an endpoint of its own (a Service + WorkloadEntry, as for a
 * workload outside the cluster): no remote-cluster discovery or east-west gateway is involved.
 * Returns cluster-b's mesh (the caller cleans it up).
 */
export function expectCrossCluster(found: DataPlaneFound, istiodB: LocalIstiod, roots: string): EchoMesh {
  const meshB = new EchoMesh({
    istiod: istiodB,
    label: `${found.mesh.opts.label}-b`,
    namespace: found.mesh.opts.namespace,
    createNamespace: true,
  });
  const serverB = meshB.server(`${ECHO.server}-b`);
  const clientB = meshB.client(`${ECHO.client}-b`);
  meshB.endpoint(found.server.opts.name, found.server.ip, found.server.opts.serviceAccount);
  found.mesh.endpoint(serverB.opts.name, serverB.ip, serverB.opts.serviceAccount);
  meshB.start(serverB, clientB);
  const [a, b] = [leafIssuer(found.client), leafIssuer(clientB)];
  expect({ a: a.subject, b: b.subject }).toEqual({
    a: expect.stringContaining("L=cluster-a"),
    b: expect.stringContaining("L=cluster-b"),
  });
  for (const w of [serverB, clientB])
    expect({ w: w.opts.name, chain: verifyWorkloadChain(roots, w.certs().chain) }).toEqual({
      w: w.opts.name,
      chain: { ok: true, out: "leaf.pem: OK" },
    });
  expectConnects(found.client, serverB);
  expectConnects(clientB, found.server);
  return meshB;
}

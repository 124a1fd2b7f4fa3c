import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Jest `setupFiles` of the e2e tier: files run in parallel, one per jest worker, each worker with a
 * control plane of its own (tests create cluster-wide objects: CRDs, istio-system, webhooks). Worker 1
 * uses the one scripts/e2e/with-toolchain.sh started; worker n > 1 starts its own on ports apart from
 * it (and from `npm run local`'s), once, and points KUBECONFIG and the second-cluster ports
 * (E2E_B_*, multiCluster) at them. with-toolchain.sh stops every worker's control plane at the end.
 * This sets the test file's process.env only: a child process spawned WITHOUT an explicit `env`
 * inherits the worker's real environment, i.e. worker 1's KUBECONFIG. Always pass `env: process.env`
 * (support.ts run() does).
 */
const worker = Number(process.env.JEST_WORKER_ID ?? "1");
const dir = process.env.E2E_DIR;
if (dir && worker > 1 && process.env.E2E_NO_APISERVER !== "1") {
  const offset = 1000 * (worker - 1);
  const kubeconfig = path.join(dir, `kubeconfig-w${worker}`);
  const state = path.join(dir, `kube-w${worker}`);
  const ports = { APISERVER_PORT: 26843 + offset, ETCD_PORT: 24290 + offset, ETCD_PEER_PORT: 24300 + offset };
  if (!fs.existsSync(path.join(state, "pids"))) {
    const root = path.resolve(__dirname, "../..");
    const r = spawnSync("bash", [path.join(root, "tools/start-apiserver.sh"), kubeconfig], {
      encoding: "utf8",
      timeout: 180000,
      env: {
        ...process.env,
        KUBE_STATE_DIR: state,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      },
    });
    if (r.status !== 0) throw new Error(`worker ${worker}: control plane did not start\n${r.stdout}\n${r.stderr}`);
  }
  process.env.KUBECONFIG = kubeconfig;
  process.env.E2E_B_APISERVER_PORT = String(26643 + offset + 100);
  process.env.E2E_B_ETCD_PORT = String(23990 + offset + 100);
  process.env.E2E_B_ETCD_PEER_PORT = String(24000 + offset + 100);
}

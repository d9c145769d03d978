// The lab kubelet process: register the Node, keep its Lease and status fresh, watch the
// pods bound to this node (list+watch with fieldSelector spec.nodeName=<node>) and hand
// every change to the PodManager; a periodic tick drives container exits, probes and
// restarts. Stopping the kubelet leaves pods running: the next kubelet adopts them.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { Informer } from './informer.js';
import { CniInvoker } from './cni-invoke.js';
import { NodeHeartbeat } from './node-status.js';
import { PodManager } from './pod-manager.js';
import { PodRecords } from './pod-record.js';
import { Rest } from './rest.js';

export interface KubeletOptions {
  kubeconfig: string;
  nodeName: string;
  nodeIP: string;
  cniBinDirs: string[];
  cniConfDir: string;
  dataDir: string;
  netnsPrefix: string;
  log: Logger;
  leaseIntervalMs?: number;
  statusIntervalMs?: number;
  tickMs?: number;
}

export interface RunningKubelet {
  pods: PodManager;
  stop(): Promise<void>;
}

export async function runKubelet(o: KubeletOptions): Promise<RunningKubelet> {
  const api = Rest.fromFile(o.kubeconfig);
  const heartbeat = new NodeHeartbeat(api, { nodeName: o.nodeName, nodeIP: o.nodeIP });
  await retry(() => heartbeat.register(), o.log, 'register node');
  await retry(() => heartbeat.renewLease(), o.log, 'create lease');
  o.log.info({ node: o.nodeName, ip: o.nodeIP }, 'node registered');

  const cni = new CniInvoker({ confDir: o.cniConfDir, binDirs: o.cniBinDirs, cacheDir: `${o.dataDir}/cni-cache` });
  const pods = new PodManager({
    api, cni, records: new PodRecords(o.dataDir), nodeName: o.nodeName, nodeIP: o.nodeIP, netnsPrefix: o.netnsPrefix, log: o.log,
  });
  if (pods.adoptedCount() > 0) o.log.info({ pods: pods.adoptedCount() }, 'adopting pods from the previous run');

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, what: string, fn: () => Promise<void>) => {
    timers.push(setInterval(() => void fn().catch((err: unknown) => o.log.warn({ err: String(err) }, `${what} failed`)), ms));
  };
  every(o.leaseIntervalMs ?? 10_000, 'lease renewal', () => heartbeat.renewLease());
  every(o.statusIntervalMs ?? 20_000, 'node status', () => heartbeat.updateStatus());

  const fieldSelector = `spec.nodeName=${o.nodeName}`;
  const informer = new Informer<V1Pod>({
    api, path: '/api/v1/pods', fieldSelector,
    onChange: (cur, prev) => pods.onPod(cur, prev),
    onError: (err) => o.log.warn({ err: String(err) }, 'pod watch failed; listing again'),
  });
  await retry(() => informer.start(), o.log, 'list pods');
  pods.markSynced();
  timers.push(setInterval(() => pods.tick(), o.tickMs ?? 1000));
  o.log.info({ fieldSelector }, 'watching pods');

  return {
    pods,
    stop: async () => {
      for (const t of timers) clearInterval(t);
      informer.stop();
      await pods.stop();
    },
  };
}

/** The apiserver may still be starting (lab up starts kubelets right after it). */
async function retry<T>(fn: () => Promise<T>, log: Logger, what: string, attempts = 60): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      log.warn({ err: String(err), attempt: i }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(250 * i, 2000)));
    }
  }
}

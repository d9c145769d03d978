// Public surface of the control-plane controllers (issue 4).
//
// Wiring into an apiserver (src/apiserver/start.ts):
//   const allocators = await installAllocators(app.hawser, { serviceCidr, nodePortRange });  // before listen
//   await allocators.ensureKubernetesService({ address, port });                               // after listen
//   const controllers = await startControllers(app.hawser, { clusterCidr, lbPool, ... });      // unless --controllers=false
//   … on close: await controllers.stop(); allocators.stop();
import type { ApiServerParts } from '../apiserver/app.js';
import { mustParseCidr } from '../net/cidr.js';
import { parseRange } from '../net/range.js';
import { Informers } from './runtime/informers.js';
import { ControllerClient } from './runtime/client.js';
import { EventRecorder } from './runtime/events.js';
import type { Controller, ControllerContext, Logger } from './runtime/controller.js';
import { EndpointsController } from './endpoints/controller.js';
import { LoadBalancerController } from './loadbalancer/controller.js';
import { NodeIpamController } from './nodeipam/controller.js';
import { defaultNodeMask } from './nodeipam/cidrs.js';
import { SchedulerController } from './scheduler/controller.js';
import { ReplicaSetController } from './workloads/replicaset.js';
import { DeploymentController } from './workloads/deployment.js';
import { silentLogger } from './allocators/index.js';
import { LeaderElector } from './runtime/leader.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { GarbageCollector } from './gc/controller.js';
import { DaemonSetController } from './workloads/daemonset.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';

export { installAllocators, type AllocatorConfig, type InstalledAllocators } from './allocators/index.js';
export type { ApiserverEndpoint } from './allocators/kubernetes-service.js';

export const CONTROLLER_NAMES = ['endpointslice', 'loadbalancer-ip', 'node-ipam', 'scheduler', 'replicaset', 'deployment', 'daemonset', 'garbage-collector', 'node-lifecycle'] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export interface ControllersConfig {
  /** Comma-separated cluster (pod) CIDRs, one per family. Default 10.244.0.0/16. */
  clusterCidr?: string;
  /** Per-node prefix length for the first family (default /24 for IPv4, /64 for IPv6). */
  nodeCidrMaskSize?: number;
  /** "first-last", one address, or a CIDR. Default 192.168.56.200-192.168.56.250. */
  lbPool?: string;
  /** A Node whose Lease/status is not renewed for this long becomes Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /**
   * Run only while holding the kube-system/hawser-controller-manager Lease (needed when
   * several apiservers share one etcd). Default: on for etcd, off otherwise.
   */
  leaderElection?: { identity: string; leaseDurationMs?: number; retryPeriodMs?: number } | false;
  /** Which controllers run (default all). */
  enabled?: ControllerName[];
  log?: Logger;
  now?: () => number;
}

export interface RunningControllers {
  controllers: Controller[];
  informers: Informers;
  /** Resolves once the controllers run (at once without leader election). */
  leading: Promise<void>;
  /** Resolves when every controller's queue is empty. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startControllers(parts: ApiServerParts, cfg: ControllersConfig = {}): Promise<RunningControllers> {
  const now = cfg.now ?? Date.now;
  const log = cfg.log ?? silentLogger;
  const informers = new Informers(parts.storage, parts.registry);
  const client = new ControllerClient(parts.rest, informers, now);
  const ctx: ControllerContext = { informers, client, events: new EventRecorder(client, 'hawser-controller-manager', now, (m, e) => log.debug?.({ err: String(e) }, m)), log, now };
  const enabled = new Set<ControllerName>(cfg.enabled ?? CONTROLLER_NAMES);
  const clusterCidrs = (cfg.clusterCidr ?? '10.244.0.0/16').split(',').map((s, i) => {
    const cidr = mustParseCidr(s.trim());
    return { cidr, nodeMask: i === 0 && cfg.nodeCidrMaskSize ? cfg.nodeCidrMaskSize : defaultNodeMask(cidr) };
  });
  const pool = parseRange(cfg.lbPool ?? '192.168.56.200-192.168.56.250');
  if (!pool) throw new Error(`invalid LoadBalancer pool ${JSON.stringify(cfg.lbPool)}`);
  const all: Array<[ControllerName, () => Controller]> = [
    ['endpointslice', () => new EndpointsController(ctx)],
    ['loadbalancer-ip', () => new LoadBalancerController(ctx, pool)],
    ['node-ipam', () => new NodeIpamController(ctx, clusterCidrs)],
    ['scheduler', () => new SchedulerController(ctx)],
    ['replicaset', () => new ReplicaSetController(ctx)],
    ['deployment', () => new DeploymentController(ctx)],
    ['daemonset', () => new DaemonSetController(ctx)],
    ['garbage-collector', () => new GarbageCollector(ctx)],
    ['node-lifecycle', () => new NodeLifecycleController(ctx, { gracePeriodMs: cfg.nodeMonitorGracePeriodMs })],
  ];
  const controllers = all.filter(([n]) => enabled.has(n)).map(([, make]) => make());
  // Every cache any controller reads must exist before the initial list.
  for (const r of ['services', 'pods', 'nodes', 'endpoints', 'events', 'namespaces', 'discovery.k8s.io/endpointslices', 'apps/replicasets', 'apps/deployments', 'apps/daemonsets', 'coordination.k8s.io/leases']) informers.cache(r);
  for (const c of controllers) c.register();
  await informers.start();
  const election = cfg.leaderElection ?? (parts.storage.backend === 'etcd' ? { identity: `${hostname()}_${randomUUID()}` } : false);
  let elector: LeaderElector | undefined;
  const begin = () => {
    for (const c of controllers) c.start();
    log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  };
  let leading: Promise<void>;
  if (election) {
    elector = new LeaderElector(client, { ...election, now, log });
    // Leadership lost: stop at once (client-go's controller-manager exits); another
    // apiserver's controllers take over from the stored state.
    leading = elector.run(() => {
      for (const c of controllers) c.stop();
    }).then(begin);
  } else {
    begin();
    leading = Promise.resolve();
  }
  return {
    controllers,
    informers,
    leading,
    async idle() {
      // Controllers feed each other (Deployment → ReplicaSet → Pods → EndpointSlices): settle until quiet.
      for (let round = 0; round < 50; round++) {
        await Promise.all(controllers.map((c) => c.idle()));
        await new Promise((r) => setImmediate(r));
        if (controllers.every((c) => (c as unknown as { queue?: { length: number } }).queue?.length === 0 || !(c as unknown as { queue?: unknown }).queue)) return;
      }
    },
    async stop() {
      elector?.stop();
      for (const c of controllers) c.stop();
      informers.stop();
    },
  };
}

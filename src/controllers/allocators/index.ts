// Installing the Service allocators into an apiserver: parse the ranges, rebuild from the
// stored Services, register the admission plugin, mirror the store, repair periodically.
// Allocation is apiserver semantics (upstream does it in the Service REST storage), so
// this runs whether or not the controllers do.
import type { ApiServerParts } from '../../apiserver/app.js';
import { mustParseCidr } from '../../net/cidr.js';
import { Informers } from '../runtime/informers.js';
import { ControllerClient } from '../runtime/client.js';
import { EventRecorder } from '../runtime/events.js';
import type { ControllerContext, Logger } from '../runtime/controller.js';
import { ServiceAllocator } from './service-allocator.js';
import { ServiceAdmission } from './admission.js';
import { ServiceAllocationController } from './controller.js';
import { StorageClaimStore } from './claims-storage.js';
import { parsePortRange } from './value-allocator.js';
import { ensureKubernetesService, type ApiserverEndpoint } from './kubernetes-service.js';

export interface AllocatorConfig {
  /** Comma-separated, one CIDR per family; the first is primary. Default 10.96.0.0/16. */
  serviceCidr?: string;
  /** Default 30000-32767. */
  nodePortRange?: string;
  /**
   * Create-only claim records in the store, needed when several apiservers share it.
   * Default: on for etcd, off for sqlite/memory (one process owns those).
   */
  claims?: boolean;
  repairIntervalMs?: number;
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

export interface InstalledAllocators {
  allocator: ServiceAllocator;
  admission: ServiceAdmission;
  repair: ServiceAllocationController;
  ensureKubernetesService(ep: ApiserverEndpoint): Promise<void>;
  stop(): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export async function installAllocators(parts: ApiServerParts, cfg: AllocatorConfig = {}): Promise<InstalledAllocators> {
  const serviceCidrs = (cfg.serviceCidr ?? '10.96.0.0/16').split(',').map((s) => mustParseCidr(s.trim()));
  const nodePortRange = parsePortRange(cfg.nodePortRange ?? '30000-32767');
  if (!nodePortRange) throw new Error(`invalid node port range ${JSON.stringify(cfg.nodePortRange)}`);
  const now = cfg.now ?? Date.now;
  const useClaims = cfg.claims ?? parts.storage.backend === 'etcd';
  const claims = useClaims ? new StorageClaimStore(parts.storage, now) : undefined;
  const allocator = new ServiceAllocator({ serviceCidrs, nodePortRange, claims, random: cfg.random });
  const admission = new ServiceAdmission(allocator, { now });
  // The allocators' own view of the stored Services (independent of the controllers).
  const informers = new Informers(parts.storage, parts.registry);
  const client = new ControllerClient(parts.rest, informers, now);
  const log = cfg.log ?? silentLogger;
  const ctx: ControllerContext = { informers, client, events: new EventRecorder(client, 'service-allocator', now), log, now };
  const repair = new ServiceAllocationController(ctx, allocator, admission, claims, { intervalMs: cfg.repairIntervalMs });
  for (const r of ['services', 'namespaces', 'endpoints', 'events', 'discovery.k8s.io/endpointslices']) informers.cache(r);
  repair.register();
  // Lists and rebuilds before the plugin is registered: no write is admitted against an
  // empty bitmap after a restart.
  await informers.start();
  await repair.repair();
  parts.admission.register(admission.plugin());
  repair.start();
  return {
    allocator,
    admission,
    repair,
    ensureKubernetesService: (ep) => ensureKubernetesService(ctx, allocator.kubernetesServiceIP(), ep),
    stop() {
      repair.stop();
      informers.stop();
    },
  };
}

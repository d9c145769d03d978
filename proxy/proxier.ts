// The proxier: informer handlers → ChangeTracker → (runner) → compile the dirty Services →
// diff → one transaction on the NftBackend. Keeps the compiled pieces per Service so a
// partial sync compiles and diffs only what changed (upstream's partial sync, PR 126013).
import type { V1Node } from '@kubernetes/client-node';
import { isNotFound } from '../src/kernel/nft/errors.js';
import type { Ruleset } from '../src/kernel/nft/types.js';
import { systemClock } from './api.js';
import type { Proxier, ProxierOptions, SyncResult, WatchedKind } from './api.js';
import { TABLE, familyWords } from './base.js';
import { ChangeTracker } from './change-tracker.js';
import type { TakenChanges } from './change-tracker.js';
import { assemble } from './compile.js';
import { planFull, planPartial } from './diff.js';
import { addressOfFamily, servicePorts } from './model.js';
import { compileServicePort } from './service.js';
import { staleUdpFlows } from './conntrack.js';
import { healthCheckServices } from './healthcheck.js';
import type { CompiledService } from './service.js';
import { SyncRunner } from './sync-runner.js';
import type { RunReason } from './sync-runner.js';
import type { NodeConfig, ServicePort } from './types.js';

interface Compiled {
  ports: ServicePort[];
  pieces: CompiledService[];
}

/** Node addresses of the family from the Node object (InternalIP first, then ExternalIP). */
export function nodeIPsFromNode(node: V1Node | undefined, family: NodeConfig['family']): string[] {
  const addrs = node?.status?.addresses ?? [];
  const order = ['InternalIP', 'ExternalIP'];
  return [...addrs].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type))
    .filter((a) => order.includes(a.type))
    .map((a) => addressOfFamily(a.address, family))
    .filter((a): a is string => a !== undefined);
}

export function createProxier(opts: ProxierOptions): Proxier {
  const clock = opts.clock ?? systemClock;
  const staleDelay = opts.staleChainDelayMs ?? 1000;
  const family = familyWords(opts.family).table;
  const table = opts.table ?? TABLE;
  // needFull: an empty cluster still gets its table (base chains, service-CIDR drop) once
  // the lists are complete, even though no Service ever changed.
  const tracker = new ChangeTracker(opts.nodeName, () => { if (tracker.ready() && (tracker.hasChanges || needFull)) runner.request(); });
  const compiled = new Map<string, Compiled>();
  let cfg: NodeConfig | undefined;
  // The whole applied Ruleset is assembled on demand: doing it every sync costs O(Services).
  let applied: { cfg: NodeConfig; services: Map<string, Compiled> } | undefined;
  let stale = new Map<string, number>();
  let needFull = true;

  const nodeConfig = (): NodeConfig => ({
    nodeName: opts.nodeName,
    family: opts.family,
    nodeIPs: opts.nodeIPs?.length ? opts.nodeIPs : nodeIPsFromNode(tracker.node, opts.family),
    clusterCIDRs: opts.clusterCIDRs,
    serviceCIDRs: opts.serviceCIDRs,
    scheduler: opts.scheduler ?? 'random',
    ...(opts.masqueradeAll !== undefined ? { masqueradeAll: opts.masqueradeAll } : {}),
    ...(opts.serviceProxyName !== undefined ? { serviceProxyName: opts.serviceProxyName } : {}),
    table,
  });

  const compileOne = (key: string, c: NodeConfig): Compiled | undefined => {
    const svc = tracker.services.get(key);
    if (!svc) return undefined;
    const ports = servicePorts(svc, tracker.slicesOf(key), c);
    return ports.length ? { ports, pieces: ports.map((p) => compileServicePort(p, c)) } : undefined;
  };

  const whole = (c: NodeConfig, m: Map<string, Compiled>): Ruleset =>
    assemble(c, [...m.keys()].sort().flatMap((k) => m.get(k)!.pieces));

  async function sync(reason: RunReason): Promise<SyncResult | undefined> {
    if (!tracker.ready()) return undefined;
    const started = clock.now();
    const changes: TakenChanges = tracker.take();
    const c = nodeConfig();
    const full = needFull || reason === 'periodic' || changes.nodeChanged || JSON.stringify(c) !== JSON.stringify(cfg);
    const next = new Map(compiled);
    const keys = full ? new Set([...tracker.services.keys(), ...compiled.keys()]) : changes.dirty;
    for (const k of keys) {
      const x = compileOne(k, c);
      if (x) next.set(k, x); else next.delete(k);
    }
    let ops = 0;
    try {
      let plan;
      if (full) {
        const desired = whole(c, next);
        // A restart, a failure or a periodic resync: read what is really there.
        const existing = await opts.backend.listTable(family, table).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
        plan = planFull(existing, desired, stale, clock.now(), staleDelay);
      } else {
        // Only the dirty Services' objects differ; the shared base part is identical.
        const before = new Map([...changes.dirty].filter((k) => compiled.has(k)).map((k) => [k, compiled.get(k)!]));
        const after = new Map([...changes.dirty].filter((k) => next.has(k)).map((k) => [k, next.get(k)!]));
        plan = planPartial(whole(c, before), whole(c, after), stale, clock.now(), staleDelay);
      }
      ops = plan.tx.size;
      if (ops > 0) await opts.backend.apply(plan.tx);
      // Only after the new rules are in: a deleted entry is re-created through them.
      const touched = [...keys];
      const flows = staleUdpFlows(touched.flatMap((k) => compiled.get(k)?.ports ?? []), touched.flatMap((k) => next.get(k)?.ports ?? []));
      if (flows.length && opts.conntrack) {
        await opts.conntrack.deleteFlows(flows).catch((e: unknown) => opts.onConntrackError?.(e, flows));
      }
      compiled.clear();
      for (const [k, v] of next) compiled.set(k, v);
      cfg = c;
      applied = { cfg: c, services: new Map(next) };
      stale = plan.stale;
      needFull = false;
      if (stale.size) runner.requestAt(Math.min(...stale.values()) + staleDelay);
      const r = { ...result(full, ops, started), ...(flows.length ? { staleFlows: flows.length } : {}) };
      opts.onSync?.(r);
      return r;
    } catch (error) {
      // The transaction was all-or-nothing: the kernel still holds the last state. Keep the
      // changes and rewrite everything next time.
      tracker.restore(changes);
      needFull = true;
      opts.onSync?.({ ...result(full, ops, started), error });
      throw error;
    }
  }

  const result = (full: boolean, ops: number, started: number): SyncResult => {
    let endpoints = 0;
    let services = 0;
    for (const x of compiled.values()) for (const p of x.ports) { services++; endpoints += p.endpoints.length; }
    return { full, ops, services, endpoints, durationMs: clock.now() - started };
  };

  let lastResult: SyncResult | undefined;
  const runner: SyncRunner = new SyncRunner(async (reason) => { lastResult = await sync(reason); }, {
    minIntervalMs: opts.minSyncIntervalMs ?? 1000,
    maxIntervalMs: opts.maxSyncIntervalMs ?? 3_600_000,
    retryMs: Math.max(opts.minSyncIntervalMs ?? 1000, 1000),
    clock,
  });
  runner.start();

  return {
    onServiceUpdate: (p, c) => tracker.onService(p, c),
    onEndpointSliceUpdate: (p, c) => tracker.onEndpointSlice(p, c),
    onNodeUpdate: (p, c) => tracker.onNode(p, c),
    setInitialListDone: (kind: WatchedKind) => tracker.setListed(kind),
    async syncNow() {
      if (!tracker.ready()) return undefined;
      lastResult = undefined;
      await runner.runNow('request');
      return lastResult;
    },
    lastAppliedRuleset: () => (applied ? whole(applied.cfg, applied.services) : undefined),
    healthCheckServices: () => healthCheckServices([...(applied?.services.values() ?? [])].flatMap((x) => x.ports)),
    stop: () => runner.stop(),
  };
}

import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { FakeNft } from '../src/kernel/nft/fake.js';
import type { Ruleset } from '../src/kernel/nft/types.js';
import { compileProxy } from './compile.js';
import { planFull, planPartial } from './diff.js';
import { buildModel } from './model.js';
import { NODE, slice, svc } from './fixtures.js';
import type { EpOpts } from './fixtures.js';

const compile = (s: V1Service[], e: V1EndpointSlice[]): Ruleset => compileProxy(buildModel(s, e, NODE), NODE);
const dump = (f: FakeNft): string | undefined => f.dumpSync('ip', 'hawser-proxy');

function fresh(rs: Ruleset): FakeNft {
  const f = new FakeNft();
  f.applySync(planFull(undefined, rs, new Map(), 0, 1000).tx);
  return f;
}

/** A small deterministic PRNG (mulberry32) so failures replay. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  services: Map<string, { opts: Parameters<typeof svc>[1]; eps: EpOpts[]; targetPort: number }>;
}

function materialise(w: World): { s: V1Service[]; e: V1EndpointSlice[] } {
  const s: V1Service[] = [];
  const e: V1EndpointSlice[] = [];
  for (const [name, x] of w.services) {
    s.push(svc(name, x.opts));
    const ports = (x.opts?.ports ?? [{ name: 'http', port: 80, protocol: 'TCP' }]).map((p) => ({ name: p.name, port: x.targetPort, protocol: p.protocol }));
    e.push(slice(name, x.eps, ports));
  }
  return { s, e };
}

function mutate(w: World, r: () => number, step: number): void {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = [...w.services.keys()];
  const roll = r();
  if (roll < 0.2 || names.length === 0) {
    const n = `s${step}`;
    const type = pick(['ClusterIP', 'NodePort', 'LoadBalancer'] as const);
    const proto = pick(['TCP', 'UDP', 'SCTP']);
    w.services.set(n, {
      opts: {
        clusterIP: `10.96.${step >> 8}.${(step & 255) || 1}`, type,
        ports: [{ name: 'p', port: 80, protocol: proto, ...(type !== 'ClusterIP' ? { nodePort: 30000 + step } : {}) }],
        ...(type === 'LoadBalancer' ? { lbIPs: [`192.168.56.${200 + (step % 50)}`], sourceRanges: r() < 0.5 ? ['203.0.113.0/24'] : undefined } : {}),
        etp: type !== 'ClusterIP' && r() < 0.4 ? 'Local' : 'Cluster',
        itp: r() < 0.2 ? 'Local' : 'Cluster',
        affinity: r() < 0.3 ? 60 : 0,
        scheduler: pick(['random', 'roundrobin', 'sourcehash', 'maglev']),
      },
      eps: [],
      targetPort: 8080,
    });
    return;
  }
  const n = pick(names);
  const x = w.services.get(n)!;
  if (roll < 0.3) w.services.delete(n);
  else if (roll < 0.6) x.eps.push({ ip: `10.244.${Math.floor(r() * 4)}.${2 + Math.floor(r() * 200)}`, node: pick(['node-a', 'node-b']), ready: r() < 0.85, serving: true, terminating: r() < 0.1 });
  else if (roll < 0.75) x.eps.splice(Math.floor(r() * x.eps.length), 1);
  else if (roll < 0.82) x.opts = { ...x.opts, affinity: x.opts?.affinity && r() < 0.5 ? 0 : 30 + Math.floor(r() * 100) };
  else if (roll < 0.88) x.opts = { ...x.opts, scheduler: pick(['random', 'roundrobin', 'sourcehash', 'maglev']) };
  else if (roll < 0.94) x.targetPort = 8000 + Math.floor(r() * 10);
  else x.opts = { ...x.opts, etp: x.opts?.etp === 'Local' ? 'Cluster' : 'Local' };
}

describe('planPartial against the kernel-faithful fake', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random service/endpoint changes (seed ${seed}) apply cleanly and equal a from-scratch apply`, () => {
      const r = rng(seed);
      const w: World = { services: new Map() };
      const live = new FakeNft();
      let last = compile([], []);
      live.applySync(planFull(undefined, last, new Map(), 0, 1000).tx);
      let stale = new Map<string, number>();
      let now = 0;
      for (let step = 1; step <= 40; step++) {
        mutate(w, r, step);
        const { s, e } = materialise(w);
        const next = compile(s, e);
        now += 400; // stale chains are deleted 1 s after they were flushed
        const plan = planPartial(last, next, stale, now, 1000);
        live.applySync(plan.tx);
        // Stale chains are empty and nothing references them; apart from them the live
        // table equals a fresh apply of the new Ruleset.
        const listed = live.listTableSync('ip', 'hawser-proxy')!;
        for (const c of listed.chains.filter((x) => plan.stale.has(x.name))) expect(c.rules).toEqual([]);
        const withoutStale = { ...listed, chains: listed.chains.filter((c) => !plan.stale.has(c.name)) };
        const scratch = fresh(next).listTableSync('ip', 'hawser-proxy')!;
        expect(dumpOf(withoutStale)).toBe(dumpOf(scratch));
        for (const name of plan.deleted) expect(listed.chains.some((c) => c.name === name)).toBe(false);
        for (const since of plan.stale.values()) expect(now - since).toBeLessThan(1000);
        last = next;
        stale = plan.stale;
      }
    });
  }

  it('re-creates a set whose definition changed (affinity timeout) together with the rules naming it', () => {
    const eps = [slice('a', ['10.244.1.5', '10.244.1.6'])];
    const before = compile([svc('a', { affinity: 60 })], eps);
    const after = compile([svc('a', { affinity: 120 })], eps);
    const live = fresh(before);
    live.applySync(planPartial(before, after, new Map(), 0, 1000).tx);
    expect(dump(live)).toBe(dump(fresh(after)));
  });

  it('touches only the changed Service: one endpoint added to one of many Services', () => {
    const services = Array.from({ length: 50 }, (_, i) => svc(`s${i}`, { clusterIP: `10.96.1.${i + 1}` }));
    const slices = services.map((x, i) => slice(x.metadata!.name!, [`10.244.1.${i + 1}`]));
    const before = compile(services, slices);
    const after = compile(services, slices.map((x, i) => (i === 7 ? slice('s7', ['10.244.1.8', '10.244.2.8']) : x)));
    const plan = planPartial(before, after, new Map(), 0, 1000);
    const touched = new Set(plan.tx.ops.map((o) => ('chain' in o.obj ? o.obj.chain : 'name' in o.obj ? o.obj.name : 'set' in o.obj ? o.obj.set : 'table')));
    for (const t of touched) expect(t).toMatch(/s7\/|^svc-/);
    expect(plan.tx.ops.length).toBeLessThan(12);
    expect(planPartial(after, after, new Map(), 0, 1000).tx.ops).toEqual([]);
  });
});

describe('planFull', () => {
  it('replaces whatever the table holds in ONE transaction, keeping affinity entries', () => {
    const old = compile([svc('a', { affinity: 60 }), svc('gone', { clusterIP: '10.96.0.20' })], [slice('a', ['10.244.1.5']), slice('gone', ['10.244.1.9'])]);
    const live = fresh(old);
    const want = compile([svc('a', { affinity: 60 }), svc('b', { clusterIP: '10.96.0.30', scheduler: 'maglev' })], [slice('a', ['10.244.1.5']), slice('b', ['10.244.1.6', '10.244.1.7'])]);
    const existing = live.listTableSync('ip', 'hawser-proxy');
    const plan = planFull(existing, want, new Map(), 0, 1000);
    live.applySync(plan.tx);
    expect([...plan.stale.keys()].every((n) => n.includes('/gone/'))).toBe(true);
    expect(plan.stale.size).toBeGreaterThan(0);
    const listed = live.listTableSync('ip', 'hawser-proxy')!;
    const withoutStale = { ...listed, chains: listed.chains.filter((c) => !plan.stale.has(c.name)) };
    expect(dumpOf(withoutStale)).toBe(dump(fresh(want)));
    // One second later the stale chains go.
    const later = planFull(live.listTableSync('ip', 'hawser-proxy'), want, plan.stale, 1000, 1000);
    live.applySync(later.tx);
    expect(later.deleted.sort()).toEqual([...plan.stale.keys()].sort());
    expect(dump(live)).toBe(dump(fresh(want)));
  });

  it('re-creates a base chain whose priority changed (e.g. after an upgrade) in the same transaction', () => {
    const want = compile([svc('a')], [slice('a', ['10.244.1.5'])]);
    const old = structuredClone(want);
    old.chains.find((c) => c.name === 'filter-forward')!.base!.priority = 5;
    const live = fresh(old);
    live.applySync(planFull(live.listTableSync('ip', 'hawser-proxy'), want, new Map(), 0, 1000).tx);
    expect(dump(live)).toBe(dump(fresh(want)));
  });

  it('is all-or-nothing: a failing transaction leaves the old table in place', () => {
    const old = compile([svc('a')], [slice('a', ['10.244.1.5'])]);
    const live = fresh(old);
    const before = dump(live);
    const broken = compile([svc('a')], [slice('a', ['10.244.1.6'])]);
    broken.chains.find((c) => c.name.startsWith('svc-'))!.rules.push({ rule: 'goto no-such-chain' });
    expect(() => live.applySync(planFull(live.listTableSync('ip', 'hawser-proxy'), broken, new Map(), 0, 1000).tx)).toThrow();
    expect(dump(live)).toBe(before);
  });
});

function dumpOf(t: Ruleset): string {
  const f = new FakeNft();
  f.applySync(planFull(undefined, t, new Map(), 0, 1000).tx);
  return dump(f)!;
}

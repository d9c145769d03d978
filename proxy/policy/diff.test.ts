// Incremental updates against the kernel-faithful fake (src/kernel/nft/fake.ts): every diff
// must apply cleanly (all references resolvable at each step of the batch, nothing deleted
// while referenced) and leave exactly what a from-scratch load of the new ruleset gives.
import { describe, expect, it } from 'vitest';
import { FakeNft } from '../../src/kernel/nft/fake.js';
import type { Ruleset } from '../../src/kernel/nft/types.js';
import { compilePolicy } from './compile.js';
import { diffPolicy, fullTransaction } from './diff.js';
import { netpol, UPSTREAM_CASES, EXTRA_CASES } from './e2e/cases.js';
import { ALL_PODS, Cluster, NODES, makePod } from './e2e/world.js';
import { TABLE } from './names.js';
import type { NetworkPolicy } from './types.js';

function fresh(rs: Ruleset): string {
  const f = new FakeNft();
  f.applySync(fullTransaction(rs));
  return f.dumpSync(rs.family, TABLE)!;
}

/** Applies prev from scratch, then the diff to next; returns the diff's operations. */
function step(fake: FakeNft, prev: Ruleset | undefined, next: Ruleset) {
  const tx = diffPolicy(prev, next);
  fake.applySync(tx);
  expect(fake.dumpSync(next.family, TABLE)).toBe(fresh(next));
  return tx.ops;
}

describe('diffPolicy against the nft fake', () => {
  it('the first sync replaces any leftover table atomically', () => {
    const fake = new FakeNft();
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    fake.applySync(fullTransaction(compilePolicy({ ...new Cluster().apply(netpol('y', 'other', {}, { egress: [] })).world(), nodeName: 'node-1' })));
    step(fake, undefined, rs);
  });

  it('an unchanged world gives an empty transaction', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    expect(diffPolicy(rs, compilePolicy({ ...c.world(), nodeName: 'node-1' })).size).toBe(0);
  });

  for (const tc of [...UPSTREAM_CASES, ...EXTRA_CASES].filter((t) => t.steps.length > 1)) {
    it(`each step of "${tc.name}" applies as a diff on both nodes`, () => {
      for (const node of NODES) {
        const fake = new FakeNft();
        let prev: Ruleset | undefined;
        const cl = new Cluster();
        for (const s of tc.steps) {
          s.change(cl);
          const next = compilePolicy({ ...cl.world(), nodeName: node });
          step(fake, prev, next);
          prev = next;
        }
      }
    });
  }

  it('a pod joining a peer selector only adds set elements', () => {
    const c = new Cluster().apply(netpol('x', 'from-db', { matchLabels: { pod: 'a' } }, { ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'db' } } }] }] }));
    const fake = new FakeNft();
    const prev = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    step(fake, undefined, prev);
    c.labelPod('z/b', { pod: 'b', role: 'db' });
    const next = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    const ops = step(fake, prev, next);
    expect(ops.map((o) => `${o.verb} ${o.obj.kind}`)).toEqual(['add element']);
    expect(ops[0]!.obj).toMatchObject({ key: ['10.244.2.17'] });
  });

  it('a pod leaving isolation loses its map element before its chain is deleted', () => {
    const c = new Cluster().apply(netpol('x', 'isolate', { matchLabels: { iso: 'yes' } }, { ingress: [] }));
    c.labelPod('x/a', { pod: 'a', iso: 'yes' });
    const fake = new FakeNft();
    const prev = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    step(fake, undefined, prev);
    c.labelPod('x/a', { pod: 'a' });
    const ops = step(fake, prev, compilePolicy({ ...c.world(), nodeName: 'node-1' }));
    expect(ops.map((o) => `${o.verb} ${o.obj.kind}`)).toEqual(['delete element', 'flush chain', 'delete chain']);
  });

  it('a new local pod selected by a policy gets its chain and map element in one transaction', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    c.pods.delete('x/c');
    const fake = new FakeNft();
    const prev = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    step(fake, undefined, prev);
    // Listed before it has an address: nothing to program yet.
    const noIP = makePod('x', 'c');
    delete noIP.status;
    c.pods.set('x/c', noIP);
    expect(diffPolicy(prev, compilePolicy({ ...c.world(), nodeName: 'node-1' })).size).toBe(0);
    c.pods.set('x/c', makePod('x', 'c'));
    const ops = step(fake, prev, compilePolicy({ ...c.world(), nodeName: 'node-1' }));
    expect(ops.map((o) => `${o.verb} ${o.obj.kind}`)).toEqual(['add chain', 'add rule', 'add element']);
  });

  it('random churn of policies, labels and pods: every diff applies and equals a fresh load', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pool: NetworkPolicy[] = [
      netpol('x', 'deny-in', {}, { ingress: [] }),
      netpol('x', 'deny-out', { matchLabels: { pod: 'b' } }, { egress: [] }),
      netpol('y', 'from-x', {}, { ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } } }], ports: [{ port: 80 }, { port: 'serve-81-udp', protocol: 'UDP' }] }] }),
      netpol('z', 'cidr', { matchLabels: { pod: 'a' } }, { egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.1.0/24'] } }], ports: [{ port: 80, endPort: 90 }] }] }),
      netpol('z', 'named-egress', {}, { egress: [{ to: [{ podSelector: { matchLabels: { role: 'db' } }, namespaceSelector: {} }], ports: [{ port: 'serve-80-tcp' }] }] }),
      netpol('x', 'tiered', { matchLabels: { tier: 'web' } }, { ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'lb' } }, namespaceSelector: { matchLabels: { env: 'prod' } } }] }] }),
    ];
    const c = new Cluster();
    const fakes = new Map(NODES.map((n) => [n, new FakeNft()]));
    const prev = new Map<string, Ruleset | undefined>();
    let changed = 0;
    for (let i = 0; i < 120; i++) {
      const pick = rand(6);
      const pod = ALL_PODS[rand(ALL_PODS.length)]!;
      const [ns, name] = pod.split('/') as [string, string];
      if (pick === 0) c.apply(pool[rand(pool.length)]!);
      else if (pick === 1) { const p = pool[rand(pool.length)]!; c.remove(p.metadata!.namespace!, p.metadata!.name!); }
      else if (pick === 2) c.labelPod(pod, { pod: name, ...(rand(2) ? { role: 'db' } : {}), ...(rand(2) ? { tier: rand(2) ? 'web' : 'lb' } : {}) });
      else if (pick === 3) c.labelNamespace(ns, rand(2) ? { env: 'prod' } : {});
      else if (pick === 4) c.pods.delete(pod);
      else c.pods.set(pod, makePod(ns, name));
      for (const n of NODES) {
        const next = compilePolicy({ ...c.world(), nodeName: n });
        if (step(fakes.get(n)!, prev.get(n), next).length > 0) changed++;
        prev.set(n, next);
      }
    }
    // The walk must exercise real changes, not only empty transactions (34 of 240 change with this seed).
    expect(changed).toBeGreaterThanOrEqual(30);
  });
});

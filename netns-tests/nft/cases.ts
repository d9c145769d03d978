// Transaction cases for the differential test: each is applied to the fake and to the real
// kernel (nft 1.0.6) in a fresh namespace. A step builds its transaction from the backend's
// own listing, so handle-based operations use each side's handles.
import { Transaction } from '../../src/kernel/nft/transaction.js';
import { replaceTableTransaction } from '../../src/kernel/nft/sync.js';
import type { NftErrorCode } from '../../src/kernel/nft/errors.js';
import type { Family, TableContent } from '../../src/kernel/nft/types.js';

export type Step = (current: TableContent | undefined) => Transaction;

export interface Case {
  name: string;
  family: Family;
  /** Applied first; every one must succeed on both sides. */
  setup: Step[];
  /** The transaction under test. */
  step: Step;
  /** 'ok', or the catalogue code both sides must report (state unchanged on both). */
  expect: 'ok' | NftErrorCode;
  /** An 'ok' step that must leave the dump as it was (destroy of missing objects). */
  noop?: boolean;
}

export const TABLE = 'hawser-difftest';
const tx = (family: Family = 'ip'): Transaction => new Transaction(family, TABLE);

/** The service-proxy shape: base chains, per-service and per-endpoint chains, verdict maps. */
export function proxyBase(family: Family = 'ip'): Transaction {
  const v6 = family === 'ip6';
  const addr = v6 ? 'ipv6_addr' : 'ipv4_addr';
  const ip = v6 ? 'ip6' : 'ip';
  const vip = v6 ? 'fd00:96::1' : '10.96.0.1';
  const ep = (n: number): string => (v6 ? `fd00:244::${n}` : `10.244.1.${n}`);
  return tx(family)
    .add({ kind: 'table', comment: 'hawser differential test' })
    .add({ kind: 'chain', name: 'nat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 } })
    .add({ kind: 'chain', name: 'nat-output', base: { type: 'nat', hook: 'output', priority: -100 } })
    .add({ kind: 'chain', name: 'nat-postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 } })
    .add({ kind: 'chain', name: 'filter-forward', base: { type: 'filter', hook: 'forward', priority: 0 } })
    .add({ kind: 'chain', name: 'services', comment: 'dispatch by VIP' })
    .add({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })
    .add({ kind: 'chain', name: 'ep-a1' })
    .add({ kind: 'chain', name: 'ep-a2' })
    .add({ kind: 'chain', name: 'mark-masq' })
    .add({ kind: 'map', name: 'service-ips', type: [addr, 'inet_proto', 'inet_service'], value: ['verdict'], comment: 'ClusterIPs' })
    .add({ kind: 'set', name: 'aff-a', type: [addr], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535 })
    .add({ kind: 'element', set: 'service-ips', key: [vip, 'tcp', '80'], value: ['goto svc-a/ns/web/tcp/80'] })
    .add({ kind: 'rule', chain: 'nat-prerouting', rule: 'jump services' })
    .add({ kind: 'rule', chain: 'nat-output', rule: 'jump services' })
    .add({ kind: 'rule', chain: 'services', rule: `${ip} daddr . meta l4proto . th dport vmap @service-ips` })
    .add({ kind: 'rule', chain: 'nat-postrouting', rule: 'meta mark & 0x4000 == 0x4000 masquerade fully-random' })
    .add({ kind: 'rule', chain: 'mark-masq', rule: 'meta mark set meta mark | 0x4000' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'ct state invalid drop' })
    .add({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: `${ip} saddr @aff-a goto ep-a1` })
    .add({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: 'numgen random mod 2 == 0 goto ep-a1' })
    .add({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: 'goto ep-a2' })
    .add({ kind: 'rule', chain: 'ep-a1', rule: `${ip} saddr ${ep(1)} jump mark-masq` })
    .add({ kind: 'rule', chain: 'ep-a1', rule: `update @aff-a { ${ip} saddr timeout 3h }` })
    .add({ kind: 'rule', chain: 'ep-a1', rule: v6 ? `meta l4proto tcp dnat to [${ep(1)}]:8080` : `meta l4proto tcp dnat ip to ${ep(1)}:8080` })
    .add({ kind: 'rule', chain: 'ep-a2', rule: v6 ? `meta l4proto tcp dnat to [${ep(2)}]:8080` : `meta l4proto tcp dnat to ${ep(2)}:8080`, comment: 'ns/web-2' });
}

const base: Step = () => proxyBase();
const handleOf = (t: TableContent | undefined, chain: string, index: number): number => {
  const h = t?.chains.find((c) => c.name === chain)?.rules[index]?.handle;
  if (h === undefined) throw new Error(`no rule ${index} in ${chain}`);
  return h;
};

const ok = (name: string, setup: Step[], step: Step, family: Family = 'ip'): Case => ({ name, family, setup, step, expect: 'ok' });
const bad = (name: string, code: NftErrorCode, setup: Step[], step: Step): Case => ({ name, family: 'ip', setup, step, expect: code });

export const CASES: Case[] = [
  ok('proxy shape: base chains, verdict map with concatenated key, numgen, affinity set, dnat', [], base),
  ok('dual-stack: the same shape in an ip6 table', [], () => proxyBase('ip6'), 'ip6'),
  ok('anonymous numgen vmap and jhash vmap', [base], () => tx()
    .add({ kind: 'chain', name: 'svc-b' })
    .add({ kind: 'rule', chain: 'svc-b', rule: 'numgen random mod 3 vmap { 0 : goto ep-a1, 1 : goto ep-a2, 2 : goto ep-a1 }' })
    .add({ kind: 'rule', chain: 'svc-b', rule: 'jhash ip saddr mod 16 vmap { 0 : goto ep-a1, 1-15 : goto ep-a2 }' })),
  ok('maglev-style lookup: jhash into a typeof-numgen keyed verdict map', [base], () => {
    const t = tx().add({ kind: 'map', name: 'mg', type: ['integer'], typeof: 'numgen random mod 7', value: ['verdict'] });
    for (let i = 0; i < 7; i++) t.add({ kind: 'element', set: 'mg', key: [String(i)], value: [i % 2 ? 'goto ep-a1' : 'goto ep-a2'] });
    return t.add({ kind: 'rule', chain: 'services', rule: 'jhash ip saddr . tcp sport mod 7 seed 0xdeadbeef vmap @mg' });
  }),
  ok('set with a default timeout, elements with their own timeouts and comments', [base], () => tx()
    .add({ kind: 'set', name: 'recent', type: ['ipv4_addr', 'inet_service'], flags: ['timeout'], timeout: 7200 })
    .add({ kind: 'element', set: 'recent', key: ['10.0.0.1', '80'] })
    .add({ kind: 'element', set: 'recent', key: ['10.0.0.2', '443'], timeout: 3600, comment: 'short' })
    .add({ kind: 'element', set: 'recent', key: ['10.0.0.3', '53'], timeout: 86400 })),
  ok('verdict map with timeouts on elements', [base], () => tx()
    .add({ kind: 'map', name: 'tmap', type: ['ipv4_addr'], value: ['verdict'], flags: ['timeout'] })
    .add({ kind: 'element', set: 'tmap', key: ['10.1.1.1'], value: ['goto ep-a1'], timeout: 3600 })
    .add({ kind: 'element', set: 'tmap', key: ['10.1.1.2'], value: ['drop'], timeout: 7200 })),
  ok('dnat map with a concatenated value, interval sets of prefixes and port ranges', [base], () => tx()
    .add({ kind: 'map', name: 'dn', type: ['ipv4_addr'], value: ['ipv4_addr', 'inet_service'] })
    .add({ kind: 'element', set: 'dn', key: ['1.2.3.4'], value: ['10.244.1.1', '8080'] })
    .add({ kind: 'set', name: 'cidrs', type: ['ipv4_addr'], flags: ['interval'] })
    .add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] })
    .add({ kind: 'element', set: 'cidrs', key: ['192.168.1.7'] })
    .add({ kind: 'set', name: 'nodeports', type: ['inet_service'], flags: ['interval'] })
    .add({ kind: 'element', set: 'nodeports', key: ['30000-32767'] })
    .add({ kind: 'rule', chain: 'services', rule: 'meta l4proto tcp dnat ip to ip daddr map @dn' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'ip saddr @cidrs th dport @nodeports counter accept' })),
  ok('rule forms: fib, reject, log, counter, ranges, marks', [base], () => tx()
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'fib daddr type local counter accept' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'ip daddr 10.96.0.0/16 reject' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'tcp dport 80-90 log prefix "hawser: " drop' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'ip saddr 10.0.0.1/8 meta mark set 0x1 counter' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'meta l4proto tcp reject with tcp reset' })),
  ok('flush chain', [base], () => tx().flush({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })),
  ok('flush map frees the chains its elements pointed to', [base], () => tx()
    .flush({ kind: 'map', name: 'service-ips' })
    .flush({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })
    .delete({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })),
  ok('flush table keeps chains and set elements', [base], () => tx().flush({ kind: 'table' })),
  ok('remove a service: element, then flush and delete its chains in one transaction', [base], () => tx()
    .delete({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '80'] })
    .flush({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })
    .delete({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })),
  { ...ok('destroy of a missing chain, element and set is a no-op', [base], () => tx()
    .destroy({ kind: 'chain', name: 'svc-gone' })
    .destroy({ kind: 'element', set: 'service-ips', key: ['10.96.0.9', 'udp', '53'], value: ['drop'] })
    .destroy({ kind: 'set', name: 'nothere', type: ['ipv4_addr'] })), noop: true },
  ok('destroy of existing objects deletes them', [base, () => tx()
    .add({ kind: 'chain', name: 'old' })
    .add({ kind: 'set', name: 'olds', type: ['ipv4_addr'] })
    .add({ kind: 'element', set: 'olds', key: ['1.1.1.1'] })], () => tx()
    .destroy({ kind: 'chain', name: 'old' })
    .destroy({ kind: 'set', name: 'olds', type: ['ipv4_addr'] })
    .destroy({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto svc-a/ns/web/tcp/80'] })),
  ok('insert at index 0 and add after index 1', [base], () => tx()
    .insert({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: 'ct state invalid drop', index: 0 })
    .add({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: 'meta nftrace set 1', index: 1 })),
  ok('add after a handle and insert before a handle', [base], (t) => tx()
    .add({ kind: 'rule', chain: 'ep-a1', rule: 'counter', handle: handleOf(t, 'ep-a1', 0) })
    .insert({ kind: 'rule', chain: 'ep-a1', rule: 'ip saddr 10.9.9.9 drop', handle: handleOf(t, 'ep-a1', 2) })),
  ok('replace a rule by handle', [base], (t) => tx()
    .replace({ kind: 'rule', chain: 'svc-a/ns/web/tcp/80', rule: 'numgen random mod 4 == 1 goto ep-a1', handle: handleOf(t, 'svc-a/ns/web/tcp/80', 1) })),
  ok('replace, then delete by the same handle (replace keeps the handle)', [base, (t) => tx()
    .replace({ kind: 'rule', chain: 'ep-a2', rule: 'counter drop', handle: handleOf(t, 'ep-a2', 0) })], (t) => tx()
    .delete({ kind: 'rule', chain: 'ep-a2', handle: handleOf(t, 'ep-a2', 0) })
    .add({ kind: 'rule', chain: 'ep-a2', rule: 'accept' })),
  ok('delete a rule by handle frees its jump target', [base], (t) => tx()
    .delete({ kind: 'rule', chain: 'ep-a1', handle: handleOf(t, 'ep-a1', 0) })
    .delete({ kind: 'chain', name: 'mark-masq' })
    .delete({ kind: 'rule', chain: 'nat-postrouting', handle: handleOf(t, 'nat-postrouting', 0) })),
  ok('re-adding existing objects with the same definition is a no-op; policy can change', [base], () => proxyBase()
    .add({ kind: 'chain', name: 'filter-forward', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' } })),
  ok('delete table', [base], () => tx().delete({ kind: 'table' })),
  ok('200 services in one transaction', [base], () => {
    const t = tx();
    for (let i = 0; i < 200; i++) {
      const svc = `svc-${i}`;
      t.add({ kind: 'chain', name: svc })
        .add({ kind: 'chain', name: `${svc}-ep` })
        .add({ kind: 'rule', chain: `${svc}-ep`, rule: `meta l4proto tcp dnat to 10.244.${i >> 8}.${i & 255}:80` })
        .add({ kind: 'rule', chain: svc, rule: `goto ${svc}-ep` })
        .add({ kind: 'element', set: 'service-ips', key: [`10.96.1.${i}`, 'tcp', '80'], value: [`goto ${svc}`] });
    }
    return t;
  }),
  ok('interval sets: an identical interval again and an adjacent one are fine', [base, () => tx()
    .add({ kind: 'set', name: 'cidrs', type: ['ipv4_addr'], flags: ['interval'] })
    .add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] })
    .add({ kind: 'set', name: 'ports', type: ['inet_service'], flags: ['interval'] })
    .add({ kind: 'element', set: 'ports', key: ['80-90'] })], () => tx()
    .add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] })
    .add({ kind: 'element', set: 'cidrs', key: ['11.0.0.0/8'] })
    .add({ kind: 'element', set: 'cidrs', key: ['9.1.2.3/7'] })
    .add({ kind: 'element', set: 'ports', key: ['91-100'] })),
  bad('an interval overlapping one already in the set', 'HAWSER_NFT_EXISTS', [base, () => tx()
    .add({ kind: 'set', name: 'cidrs', type: ['ipv4_addr'], flags: ['interval'] })
    .add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] })], () => tx()
    .add({ kind: 'element', set: 'cidrs', key: ['12.0.0.0/8'] })
    .add({ kind: 'element', set: 'cidrs', key: ['10.1.0.0/16'] })),
  bad('a port inside a range added earlier in the same transaction', 'HAWSER_NFT_INVALID', [base], () => tx()
    .add({ kind: 'set', name: 'ports', type: ['inet_service'], flags: ['interval'] })
    .add({ kind: 'element', set: 'ports', key: ['80-90'] })
    .add({ kind: 'element', set: 'ports', key: ['85'] })),
  bad('jump to a missing chain in the 3rd operation', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .add({ kind: 'chain', name: 'new1' })
    .add({ kind: 'rule', chain: 'new1', rule: 'accept' })
    .add({ kind: 'rule', chain: 'new1', rule: 'jump nowhere' })),
  bad('create of an existing set', 'HAWSER_NFT_EXISTS', [base], () => tx()
    .add({ kind: 'chain', name: 'new2' })
    .create({ kind: 'set', name: 'aff-a', type: ['ipv4_addr'], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535 })),
  bad('add of a set with a different definition', 'HAWSER_NFT_EXISTS', [base], () => tx()
    .add({ kind: 'set', name: 'aff-a', type: ['ipv4_addr', 'inet_service'] })),
  bad('delete of a chain still referenced by a rule', 'HAWSER_NFT_BUSY', [base], () => tx()
    .flush({ kind: 'chain', name: 'mark-masq' })
    .delete({ kind: 'chain', name: 'mark-masq' })),
  bad('delete of a chain still referenced by a verdict map element', 'HAWSER_NFT_BUSY', [base], () => tx()
    .flush({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })
    .delete({ kind: 'chain', name: 'svc-a/ns/web/tcp/80' })),
  bad('delete of a non-empty chain that is a goto target', 'HAWSER_NFT_BUSY', [base], () => tx().delete({ kind: 'chain', name: 'ep-a2' })),
  ok('delete of a non-empty chain nothing jumps to takes its rules along', [base], () => tx()
    .delete({ kind: 'chain', name: 'nat-postrouting' })
    .add({ kind: 'chain', name: 'unreferenced' })
    .add({ kind: 'rule', chain: 'unreferenced', rule: 'jump mark-masq' })
    .delete({ kind: 'chain', name: 'unreferenced' })),
  bad('delete of a missing chain (destroy would be fine)', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .destroy({ kind: 'chain', name: 'zz' })
    .delete({ kind: 'chain', name: 'zz' })),
  bad('delete of a missing element', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .delete({ kind: 'element', set: 'service-ips', key: ['10.96.0.99', 'tcp', '80'] })),
  bad('element key arity does not fit an existing map', 'HAWSER_NFT_INVALID', [base], () => tx()
    .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.2', 'tcp'], value: ['drop'] })),
  bad('verdict map element pointing at a missing chain', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.2', 'tcp', '80'], value: ['goto svc-missing'] })),
  bad('element with a different value for an existing key', 'HAWSER_NFT_EXISTS', [base], () => tx()
    .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto ep-a1'] })),
  bad('create of an existing element', 'HAWSER_NFT_EXISTS', [base], () => tx()
    .create({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto svc-a/ns/web/tcp/80'] })),
  bad('replace of a missing handle', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .replace({ kind: 'rule', chain: 'ep-a1', rule: 'drop', handle: 9999 })),
  bad('rule naming a missing set', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'ip saddr @nosuch drop' })),
  bad('delete of a set still used by a rule', 'HAWSER_NFT_BUSY', [base], () => tx().delete({ kind: 'set', name: 'aff-a' })),
  bad('jump to a base chain', 'HAWSER_NFT_UNSUPPORTED', [base], () => tx()
    .add({ kind: 'rule', chain: 'ep-a2', rule: 'jump filter-forward' })),
  bad('changing a base chain hook', 'HAWSER_NFT_UNSUPPORTED', [base], () => tx()
    .add({ kind: 'chain', name: 'filter-forward', base: { type: 'filter', hook: 'input', priority: 0 } })),
  bad('element timeout in a set without the timeout flag', 'HAWSER_NFT_INVALID', [base], () => tx()
    .add({ kind: 'set', name: 'plain', type: ['ipv4_addr'] })
    .add({ kind: 'rule', chain: 'ep-a2', rule: 'ip saddr @plain drop' })
    .add({ kind: 'element', set: 'plain', key: ['1.1.1.1'], timeout: 3600 })),
  bad('map element without a value (map defined earlier)', 'HAWSER_NFT_INVALID', [base], () => tx()
    .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.3', 'tcp', '80'] })),
  bad('rule index beyond the chain', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .add({ kind: 'rule', chain: 'ep-a2', rule: 'accept', index: 5 })),
  bad('create of an existing table', 'HAWSER_NFT_EXISTS', [base], () => tx().create({ kind: 'table' })),
  bad('operations on a table that does not exist', 'HAWSER_NFT_NOT_FOUND', [], () => tx().add({ kind: 'chain', name: 'c' })),
  bad('flush of a missing set after valid work', 'HAWSER_NFT_NOT_FOUND', [base], () => tx()
    .add({ kind: 'chain', name: 'new3' })
    .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.4', 'udp', '53'], value: ['goto new3'] })
    .flush({ kind: 'set', name: 'missing-set' })),
];

/** Jump-graph cases: the kernel validates the graph from the base chains at each commit. */
export const GRAPH_CASES: Case[] = [
  ok('a jump cycle between chains no base chain reaches loads', [base], () => tx()
    .add({ kind: 'chain', name: 'l1' }).add({ kind: 'chain', name: 'l2' })
    .add({ kind: 'rule', chain: 'l1', rule: 'jump l2' }).add({ kind: 'rule', chain: 'l2', rule: 'goto l1' })),
  bad('a jump cycle reachable from a base chain', 'HAWSER_NFT_LOOP', [base], () => tx()
    .add({ kind: 'chain', name: 'l1' }).add({ kind: 'chain', name: 'l2' })
    .add({ kind: 'rule', chain: 'l1', rule: 'jump l2' }).add({ kind: 'rule', chain: 'l2', rule: 'jump l1' })
    .add({ kind: 'rule', chain: 'filter-forward', rule: 'jump l1' })),
  bad('a cycle closed through a verdict map element', 'HAWSER_NFT_LOOP', [base], () => tx()
    .add({ kind: 'rule', chain: 'ep-a2', rule: 'ip daddr . meta l4proto . th dport vmap @service-ips' })),
  bad('jumps nested 16 deep', 'HAWSER_NFT_LOOP', [base], () => {
    const t = tx();
    for (let i = 1; i <= 16; i++) t.add({ kind: 'chain', name: `d${i}` });
    for (let i = 1; i < 16; i++) t.add({ kind: 'rule', chain: `d${i}`, rule: `jump d${i + 1}` });
    return t.add({ kind: 'rule', chain: 'filter-forward', rule: 'jump d1' });
  }),
  ok('jumps nested 15 deep', [base], () => {
    const t = tx();
    for (let i = 1; i <= 15; i++) t.add({ kind: 'chain', name: `d${i}` });
    for (let i = 1; i < 15; i++) t.add({ kind: 'rule', chain: `d${i}`, rule: `jump d${i + 1}` });
    return t.add({ kind: 'rule', chain: 'filter-forward', rule: 'jump d1' });
  }),
];

function content(services: number[], hook: 'prerouting' | 'output' = 'prerouting'): TableContent {
  return {
    family: 'ip', name: TABLE,
    sets: [{ kind: 'set', name: 'aff', type: ['ipv4_addr'], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535, elements: [] }],
    maps: [{
      kind: 'map', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'],
      elements: services.map((i) => ({ key: [`10.96.0.${i}`, 'tcp', '80'], value: [`goto svc-${i}`] })),
    }],
    chains: [
      { kind: 'chain', name: 'pre', base: { type: 'nat', hook, priority: -100 }, rules: [{ rule: 'ip daddr . meta l4proto . th dport vmap @service-ips' }] },
      ...services.flatMap((i) => [
        { kind: 'chain' as const, name: `svc-${i}`, rules: [{ rule: `ip saddr @aff goto ep-${i}` }, { rule: `numgen random mod 2 == 0 goto ep-${i}` }, { rule: `goto ep-${i}` }] },
        { kind: 'chain' as const, name: `ep-${i}`, rules: [{ rule: 'update @aff { ip saddr }' }, { rule: `meta l4proto tcp dnat to 10.244.0.${i}:80` }] },
      ]),
    ],
  };
}

/** Full sync (sync.ts) from one content to another, in the kernel and in the fake. */
export const SYNC_CASES: Case[] = [
  ok('full sync from nothing', [], (cur) => replaceTableTransaction(content([1, 2, 3]), cur)),
  ok('full sync: services removed and added, an affinity entry kept', [
    (cur) => replaceTableTransaction(content([1, 2, 3]), cur),
    () => tx().add({ kind: 'element', set: 'aff', key: ['10.0.0.7'] }),
  ], (cur) => replaceTableTransaction(content([2, 4, 5]), cur)),
  ok('full sync: a base chain moves to another hook', [(cur) => replaceTableTransaction(content([1]), cur)],
    (cur) => replaceTableTransaction(content([1], 'output'), cur)),
];

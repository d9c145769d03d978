// JSON and text captured from nft 1.0.6 on this machine (fixtures/table.{json,txt}: the
// table was loaded with `nft -f`, then listed with `nft -j list table` and `nft -a list table`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalisedDump } from './dump.js';
import { FakeNft } from './fake.js';
import { parseListing } from './parse-listing.js';
import { exprParts, parseTableJson, parseTablesJson } from './parse-json.js';
import { Transaction } from './transaction.js';

const fixture = (f: string): string => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');
const json = JSON.parse(fixture('table.json')) as unknown;
const listing = parseListing(fixture('table.txt'));
const table = parseTableJson(json, listing);

describe('parseListing', () => {
  it('reads rule text by handle, splitting off comments', () => {
    expect(listing.rules.get(17)).toEqual({ chain: 'svc-b', text: 'numgen random mod 2 0 goto ep-1' });
    expect(listing.rules.get(22)).toEqual({ chain: 'ep-2', text: 'meta l4proto tcp dnat to 10.244.2.5:8443', comment: 'endpoint 2' });
    expect(listing.rules.size).toBe(14);
  });
  it('reads what JSON 1.0.6 leaves out: chain/table comments and the dynamic flag', () => {
    expect(listing.tableComment).toBe('fixture table');
    expect(listing.chainComments.get('svc-a')).toBe('ns/a:https');
    expect(listing.setFlags.get('aff-a')).toEqual(['dynamic', 'timeout']);
  });
});

describe('parseTableJson', () => {
  it('reads the table, its chains in kernel order and rules in chain order with handles', () => {
    expect(table.family).toBe('ip');
    expect(table.name).toBe('hawser-fixture');
    expect(table.comment).toBe('fixture table');
    expect(table.chains.map((c) => c.name)).toEqual(['svc-a', 'svc-b', 'ep-1', 'ep-2', 'prerouting', 'postrouting', 'forward']);
    const pre = table.chains.find((c) => c.name === 'prerouting')!;
    expect(pre.base).toEqual({ type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
    expect(pre.rules).toEqual([
      { rule: 'ip daddr . meta l4proto . th dport vmap @service-ips', handle: 23 },
      { rule: 'counter packets 0 bytes 0', handle: 24 },
    ]);
    expect(table.chains.find((c) => c.name === 'forward')!.base?.policy).toBe('drop');
  });
  it('reads sets and maps with typed elements', () => {
    const m = table.maps.find((x) => x.name === 'service-ips')!;
    expect(m.type).toEqual(['ipv4_addr', 'inet_proto', 'inet_service']);
    expect(m.value).toEqual(['verdict']);
    expect(m.comment).toBe('ClusterIP dispatch');
    expect(m.elements).toEqual([
      { key: ['10.96.0.10', 'udp', '53'], value: ['jump svc-b'] },
      { key: ['10.96.0.1', 'tcp', '443'], value: ['goto svc-a'] },
    ]);
    expect(table.maps.find((x) => x.name === 'dn')!.elements).toEqual([{ key: ['1.2.3.4'], value: ['10.0.0.1', '80'] }]);
    expect(table.maps.find((x) => x.name === 'marks')!.elements).toEqual([{ key: ['"eth0"'], value: ['0x00004000'] }]);
    const cidrs = table.sets.find((x) => x.name === 'cidrs')!;
    expect(cidrs.elements.map((e) => e.key[0])).toEqual(['10.0.0.0/8', '192.168.1.1']);
    expect(table.sets.find((x) => x.name === 'ports')!.elements.map((e) => e.key[0])).toEqual(['80-90', '443']);
    const tmo = table.sets.find((x) => x.name === 'tmo')!;
    expect(tmo.timeout).toBe(86400);
    expect(tmo.flags).toEqual(['timeout']);
    expect(tmo.elements).toEqual([{ key: ['2.2.2.2', '53'], timeout: 7200 }, { key: ['1.1.1.1', '80'], comment: 'one' }]);
    const aff = table.sets.find((x) => x.name === 'aff-a')!;
    expect(aff.flags?.sort()).toEqual(['dynamic', 'timeout']);
    expect(aff.size).toBe(65535);
  });
  it('lists tables', () => {
    expect(parseTablesJson({ nftables: [{ metainfo: {} }, { table: { family: 'ip6', name: 'p', handle: 3 } }] })).toEqual([{ family: 'ip6', name: 'p' }]);
  });
  it('refuses a JSON listing whose rules the text listing lacks (a writer committed in between)', () => {
    const older = parseListing(fixture('table.txt').replace(/^.*# handle 29\n/m, ''));
    expect(() => parseTableJson(json, older)).toThrow(/handle 29 missing/);
  });
  it('refuses an unknown element expression instead of guessing', () => {
    expect(() => exprParts({ bogus: 1 })).toThrow(/unknown element expression/);
  });
});

describe('the fake, fed the same definitions, dumps what the kernel listed', () => {
  it('matches the normalised dump of the captured kernel listing', () => {
    const fake = new FakeNft();
    const tx = new Transaction('ip', 'hawser-fixture')
      .add({ kind: 'table', comment: 'fixture table' })
      .add({ kind: 'set', name: 'aff-a', type: ['ipv4_addr'], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535 })
      .add({ kind: 'set', name: 'cidrs', type: ['ipv4_addr'], flags: ['interval'], comment: 'blocked' })
      .add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] })
      .add({ kind: 'element', set: 'cidrs', key: ['192.168.1.1'] })
      .add({ kind: 'set', name: 'ports', type: ['inet_service'], flags: ['interval'] })
      .add({ kind: 'element', set: 'ports', key: ['80-90'] })
      .add({ kind: 'element', set: 'ports', key: ['443'] })
      .add({ kind: 'set', name: 'tmo', type: ['ipv4_addr', 'inet_service'], flags: ['timeout'], timeout: 86400 })
      .add({ kind: 'element', set: 'tmo', key: ['1.1.1.1', '80'], comment: 'one' })
      .add({ kind: 'element', set: 'tmo', key: ['2.2.2.2', '53'], timeout: 7200 })
      .add({ kind: 'map', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'], comment: 'ClusterIP dispatch' })
      .add({ kind: 'map', name: 'dn', type: ['ipv4_addr'], value: ['ipv4_addr', 'inet_service'] })
      .add({ kind: 'element', set: 'dn', key: ['1.2.3.4'], value: ['10.0.0.1', '80'] })
      .add({ kind: 'map', name: 'marks', type: ['ifname'], value: ['mark'] })
      .add({ kind: 'element', set: 'marks', key: ['eth0'], value: ['0x4000'] });
    for (const c of ['svc-a', 'svc-b', 'ep-1', 'ep-2']) tx.add({ kind: 'chain', name: c, ...(c === 'svc-a' ? { comment: 'ns/a:https' } : {}) });
    tx.add({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '443'], value: ['goto svc-a'] })
      .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.10', 'udp', '53'], value: ['jump svc-b'] })
      .add({ kind: 'rule', chain: 'svc-a', rule: 'numgen random mod 2 vmap { 0 : goto ep-1, 1 : goto ep-2 }' })
      .add({ kind: 'rule', chain: 'svc-b', rule: 'numgen random mod 2 == 0 goto ep-1' })
      .add({ kind: 'rule', chain: 'svc-b', rule: 'goto ep-2' })
      .add({ kind: 'rule', chain: 'ep-1', rule: 'ip saddr 10.0.0.1 meta mark set meta mark | 0x4000' })
      .add({ kind: 'rule', chain: 'ep-1', rule: 'update @aff-a { ip saddr }' })
      .add({ kind: 'rule', chain: 'ep-1', rule: 'meta l4proto tcp dnat to 10.244.1.5:8443' })
      .add({ kind: 'rule', chain: 'ep-2', rule: 'meta l4proto tcp dnat to 10.244.2.5:8443', comment: 'endpoint 2' })
      .add({ kind: 'chain', name: 'prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 } })
      .add({ kind: 'rule', chain: 'prerouting', rule: 'ip daddr . meta l4proto . th dport vmap @service-ips' })
      .add({ kind: 'rule', chain: 'prerouting', rule: 'counter' })
      .add({ kind: 'chain', name: 'postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 } })
      .add({ kind: 'rule', chain: 'postrouting', rule: 'meta mark & 0x4000 == 0x4000 masquerade fully-random' })
      .add({ kind: 'chain', name: 'forward', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' } })
      .add({ kind: 'rule', chain: 'forward', rule: 'ct state invalid drop' })
      .add({ kind: 'rule', chain: 'forward', rule: 'ip saddr @cidrs reject' })
      .add({ kind: 'rule', chain: 'forward', rule: 'tcp dport @ports accept' })
      .add({ kind: 'rule', chain: 'forward', rule: 'fib daddr type local counter accept' });
    fake.applySync(tx);
    expect(fake.dumpSync('ip', 'hawser-fixture')).toBe(normalisedDump(table));
  });
});

import { describe, expect, it } from 'vitest';
import { isInvalid } from './errors.js';
import { renderTransaction } from './render.js';
import { Transaction } from './transaction.js';

const tx = (): Transaction => new Transaction('ip', 'hawser-proxy');

describe('Transaction validation records the first problem', () => {
  const cases: Array<[string, (t: Transaction) => void, RegExp | null]> = [
    ['a valid table, chain, map and element', (t) => t
      .add({ kind: 'table' })
      .add({ kind: 'chain', name: 'svc-abc/ns/name/tcp/80' })
      .add({ kind: 'map', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'] })
      .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto svc-abc/ns/name/tcp/80'] }), null],
    ['chain name with a space', (t) => t.add({ kind: 'chain', name: 'a b' }), /not an nft identifier/],
    ['chain name starting with a digit', (t) => t.add({ kind: 'chain', name: '1abc' }), /not an nft identifier/],
    ['chain named like a keyword', (t) => t.add({ kind: 'chain', name: 'counter' }), /keyword/],
    ['name longer than 255', (t) => t.add({ kind: 'chain', name: 'a'.repeat(256) }), /longer than 255/],
    ['nat chain on the forward hook', (t) => t.add({ kind: 'chain', name: 'f', base: { type: 'nat', hook: 'forward', priority: 0 } }), /nat chains cannot use hook forward/],
    ['ingress hook in an ip table', (t) => t.add({ kind: 'chain', name: 'i', base: { type: 'filter', hook: 'ingress', priority: 0, device: 'eth0' } }), /no hook "ingress"/],
    ['fractional priority', (t) => t.add({ kind: 'chain', name: 'p', base: { type: 'filter', hook: 'input', priority: 0.5 } }), /integer/],
    ['rule with a newline', (t) => t.add({ kind: 'rule', chain: 'c', rule: 'accept\nflush ruleset' }), /newline/],
    ['rule with a semicolon', (t) => t.add({ kind: 'rule', chain: 'c', rule: 'accept; flush ruleset' }), /newline, ";"/],
    ['semicolon inside a quoted log prefix is fine', (t) => t.add({ kind: 'rule', chain: 'c', rule: 'log prefix "a;b"' }), null],
    ['empty rule', (t) => t.add({ kind: 'rule', chain: 'c', rule: '  ' }), /empty/],
    ['replace without a handle', (t) => t.replace({ kind: 'rule', chain: 'c', rule: 'accept' }), /needs a handle/],
    ['delete rule without a handle', (t) => t.delete({ kind: 'rule', chain: 'c', rule: 'accept' }), /needs a handle/],
    ['index and handle together', (t) => t.add({ kind: 'rule', chain: 'c', rule: 'accept', index: 0, handle: 3 }), /not both/],
    ['destroy of a rule (nft 1.0.6 has no destroy)', (t) => t.destroy({ kind: 'rule', chain: 'c', handle: 3 }), /not supported/],
    ['destroy of a set without its type', (t) => t.destroy({ kind: 'set', name: 's' }), /needs its type/],
    ['comment with a quote', (t) => t.add({ kind: 'chain', name: 'c', comment: 'say "hi"' }), /quote/],
    ['unqualified integer key (nft: "unqualified type integer")', (t) => t.add({ kind: 'map', name: 'mg', type: ['integer'], value: ['verdict'] }), /typeof/],
    ['integer key with typeof', (t) => t.add({ kind: 'map', name: 'mg', type: ['integer'], typeof: 'numgen random mod 251', value: ['verdict'] }), null],
    ['empty key type', (t) => t.add({ kind: 'set', name: 's', type: [] }), /key type is empty/],
    ['verdict as key', (t) => t.add({ kind: 'set', name: 's', type: ['verdict'] }), /value type/],
    ['concatenated verdict', (t) => t.add({ kind: 'map', name: 'm', type: ['ipv4_addr'], value: ['verdict', 'mark'] }), /cannot be concatenated/],
    ['unknown flag', (t) => t.add({ kind: 'set', name: 's', type: ['ipv4_addr'], flags: ['fast' as 'interval'] }), /unknown set flag/],
    ['zero timeout', (t) => t.add({ kind: 'set', name: 's', type: ['ipv4_addr'], timeout: 0 }), /positive integer/],
    ['key arity against a set of this transaction', (t) => t
      .add({ kind: 'map', name: 'm', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'] })
      .add({ kind: 'element', set: 'm', key: ['10.96.0.1', 'tcp'], value: ['drop'] }), /key has 2 parts, m has 3/],
    ['a map element needs a value', (t) => t
      .add({ kind: 'map', name: 'm', type: ['ipv4_addr'], value: ['verdict'] })
      .add({ kind: 'element', set: 'm', key: ['10.96.0.1'] }), /needs a value/],
    ['a set element has no value', (t) => t
      .add({ kind: 'set', name: 's', type: ['ipv4_addr'] })
      .add({ kind: 'element', set: 's', key: ['10.96.0.1'], value: ['drop'] }), /is a set/],
    ['a key part that is really a concatenation', (t) => t.add({ kind: 'element', set: 's', key: ['10.0.0.1 . tcp'] }), /not a single value/],
    ['delete of a map element needs no value', (t) => t
      .add({ kind: 'map', name: 'm', type: ['ipv4_addr'], value: ['verdict'] })
      .delete({ kind: 'element', set: 'm', key: ['10.96.0.1'] }), null],
  ];
  it.each(cases)('%s', (_name, build, expected) => {
    const t = tx();
    build(t);
    if (expected === null) expect(t.error).toBeUndefined();
    else {
      expect(isInvalid(t.error)).toBe(true);
      expect(t.error?.message).toMatch(expected);
    }
  });

  it('keeps the first error, not later ones', () => {
    const t = tx().add({ kind: 'chain', name: 'bad name' }).add({ kind: 'chain', name: 'also bad' });
    expect(t.error?.message).toMatch(/op 0 .*bad name/);
    expect(t.error?.opIndex).toBe(0);
  });

  it('rejects an unknown family and a bad table name at construction', () => {
    expect(new Transaction('ipx' as 'ip', 'x').error?.message).toMatch(/unknown family/);
    expect(new Transaction('ip6', 'bad name').error?.message).toMatch(/table/);
  });
});

describe('renderTransaction', () => {
  it('renders every verb as one nft command per line (golden)', () => {
    const t = tx()
      .add({ kind: 'table', comment: 'hawser service proxy' })
      .add({ kind: 'chain', name: 'nat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 } })
      .add({ kind: 'chain', name: 'filter-forward', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, comment: 'forwarded traffic' })
      .add({ kind: 'chain', name: 'svc-a' })
      .add({ kind: 'map', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'], comment: 'ClusterIPs' })
      .add({ kind: 'set', name: 'aff', type: ['ipv4_addr'], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535 })
      .add({ kind: 'rule', chain: 'nat-prerouting', rule: 'ip daddr . meta l4proto . th dport vmap @service-ips' })
      .add({ kind: 'rule', chain: 'svc-a', rule: 'numgen random mod 2 == 0 goto ep-1', comment: 'ns/a' })
      .insert({ kind: 'rule', chain: 'svc-a', rule: 'ct state invalid drop', index: 0 })
      .add({ kind: 'rule', chain: 'svc-a', rule: 'counter', handle: 7 })
      .replace({ kind: 'rule', chain: 'svc-a', rule: 'drop', handle: 9 })
      .delete({ kind: 'rule', chain: 'svc-a', handle: 9 })
      .add({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '443'], value: ['goto svc-a'], comment: 'kubernetes' })
      .add({ kind: 'element', set: 'aff', key: ['10.0.0.1'], timeout: 3600 })
      .delete({ kind: 'element', set: 'service-ips', key: ['10.96.0.1', 'tcp', '443'] })
      .flush({ kind: 'chain', name: 'svc-a' })
      .flush({ kind: 'map', name: 'service-ips' })
      .create({ kind: 'set', name: 's2', type: ['inet_service'], flags: ['interval'] })
      .destroy({ kind: 'chain', name: 'svc-old' })
      .destroy({ kind: 'element', set: 'service-ips', key: ['10.96.0.2', 'udp', '53'], value: ['goto svc-b'] })
      .delete({ kind: 'chain', name: 'svc-a' })
      .delete({ kind: 'table' });
    expect(t.error).toBeUndefined();
    const { text, lineOp } = renderTransaction(t);
    expect(text).toBe([
      'add table ip hawser-proxy { comment "hawser service proxy"; }',
      'add chain ip hawser-proxy nat-prerouting { type nat hook prerouting priority -100; policy accept; }',
      'add chain ip hawser-proxy filter-forward { type filter hook forward priority 0; policy drop; comment "forwarded traffic"; }',
      'add chain ip hawser-proxy svc-a',
      'add map ip hawser-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict; comment "ClusterIPs"; }',
      'add set ip hawser-proxy aff { type ipv4_addr; flags dynamic,timeout; timeout 3h; size 65535; }',
      'add rule ip hawser-proxy nat-prerouting ip daddr . meta l4proto . th dport vmap @service-ips',
      'add rule ip hawser-proxy svc-a numgen random mod 2 == 0 goto ep-1 comment "ns/a"',
      'insert rule ip hawser-proxy svc-a index 0 ct state invalid drop',
      'add rule ip hawser-proxy svc-a position 7 counter',
      'replace rule ip hawser-proxy svc-a handle 9 drop',
      'delete rule ip hawser-proxy svc-a handle 9',
      'add element ip hawser-proxy service-ips { 10.96.0.1 . tcp . 443 comment "kubernetes" : goto svc-a }',
      'add element ip hawser-proxy aff { 10.0.0.1 timeout 1h }',
      'delete element ip hawser-proxy service-ips { 10.96.0.1 . tcp . 443 }',
      'flush chain ip hawser-proxy svc-a',
      'flush map ip hawser-proxy service-ips',
      'create set ip hawser-proxy s2 { type inet_service; flags interval; }',
      'add chain ip hawser-proxy svc-old',
      'delete chain ip hawser-proxy svc-old',
      'add element ip hawser-proxy service-ips { 10.96.0.2 . udp . 53 : goto svc-b }',
      'delete element ip hawser-proxy service-ips { 10.96.0.2 . udp . 53 }',
      'delete chain ip hawser-proxy svc-a',
      'delete table ip hawser-proxy',
      '',
    ].join('\n'));
    // destroy expands to two lines that both map back to the one operation.
    expect(lineOp.slice(18, 22)).toEqual([18, 18, 19, 19]);
  });

  it('keeps the family a parameter', () => {
    const t = new Transaction('ip6', 'hawser-proxy').add({ kind: 'set', name: 'v6', type: ['ipv6_addr'] });
    expect(renderTransaction(t).text).toBe('add set ip6 hawser-proxy v6 { type ipv6_addr; }\n');
  });

  it('renders nothing for an empty transaction', () => {
    expect(renderTransaction(tx()).text).toBe('');
  });
});

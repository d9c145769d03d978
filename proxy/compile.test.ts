import { describe, expect, it } from 'vitest';
import { compileProxy } from './compile.js';
import { buildModel } from './model.js';
import { renderRuleset } from './render.js';
import { NODE, slice, svc } from './fixtures.js';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Ruleset } from '../src/kernel/nft/types.js';

const compile = (services: V1Service[], slices: V1EndpointSlice[], cfg = NODE): Ruleset => compileProxy(buildModel(services, slices, cfg), cfg);
const chain = (t: Ruleset, prefix: string): string[] => {
  const c = t.chains.find((x) => x.name.startsWith(prefix));
  if (!c) throw new Error(`no chain ${prefix}`);
  return c.rules.map((r) => r.rule);
};
const elements = (t: Ruleset, map: string): string[] =>
  [...t.maps, ...t.sets].find((m) => m.name === map)!.elements.map((e) => e.key.join(' . ') + (e.value ? ` : ${e.value.join(' . ')}` : '')).sort();

describe('compileProxy golden text', () => {
  it('ClusterIP with two endpoints, random', async () => {
    const t = compile([svc('web')], [slice('web', ['10.244.1.5', '10.244.2.6'])]);
    await expect(renderRuleset(t)).toMatchFileSnapshot('golden/clusterip-random.nft');
  });
  it('NodePort + LoadBalancer with source ranges, externalIPs and ClientIP affinity', async () => {
    const s = svc('web', { type: 'LoadBalancer', lbIPs: ['192.168.56.200'], sourceRanges: ['203.0.113.0/24'], externalIPs: ['192.168.56.99'], affinity: 60, ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
    await expect(renderRuleset(compile([s], [slice('web', ['10.244.1.5', '10.244.2.6'])]))).toMatchFileSnapshot('golden/lb-affinity.nft');
  });
  it('SCTP NodePort with externalTrafficPolicy Local and sourcehash; a Service without endpoints', async () => {
    const s = svc('loc', { clusterIP: '10.96.0.12', type: 'NodePort', etp: 'Local', scheduler: 'sourcehash', ports: [{ name: 'sctp', port: 9, protocol: 'SCTP', nodePort: 30009 }] });
    const sl = slice('loc', [{ ip: '10.244.0.5', node: 'node-a' }, '10.244.2.6', { ip: '10.244.0.9', node: 'node-a' }], [{ name: 'sctp', port: 9999, protocol: 'SCTP' }]);
    await expect(renderRuleset(compile([s, svc('empty', { clusterIP: '10.96.0.13' })], [sl]))).toMatchFileSnapshot('golden/local-sourcehash-sctp.nft');
  });
});

describe('compileProxy behaviour', () => {
  it('chains random choices so each of N endpoints gets 1/N without anonymous sets', () => {
    const t = compile([svc('web')], [slice('web', ['10.244.1.1', '10.244.1.2', '10.244.1.3'])]);
    const rules = chain(t, 'svc-');
    expect(rules.filter((r) => r.startsWith('numgen random')).map((r) => r.split(' goto')[0])).toEqual(['numgen random mod 3 == 0', 'numgen random mod 2 == 0']);
    expect(rules.at(-1)).toMatch(/^goto sep-/);
    for (const c of t.chains) for (const r of c.rules) expect(r.rule.replace(/update @\S+ \{ ip saddr \}/, '')).not.toMatch(/[{}]/);
  });

  it('uses numgen inc for roundrobin and a named map with a prime-sized table for maglev', () => {
    const eps = slice('web', ['10.244.1.1', '10.244.1.2']);
    expect(chain(compile([svc('web', { scheduler: 'roundrobin' })], [eps]), 'svc-')).toContainEqual(expect.stringMatching(/^numgen inc mod 2 == 0 goto sep-/));
    const mg = compile([svc('web', { scheduler: 'maglev' })], [eps]);
    const rule = chain(mg, 'svc-').at(-1)!;
    const m = /^jhash ip saddr mod 251 seed 0x[0-9a-f]{8} vmap @(mg-\S+)$/.exec(rule);
    expect(m).not.toBeNull();
    expect(mg.maps.find((x) => x.name === m![1])!.elements).toHaveLength(251);
  });

  it('rejects when there are no endpoints, drops when only a Local policy lacks them', () => {
    const none = compile([svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], []);
    expect(elements(none, 'no-endpoint-services')).toEqual(['10.96.0.10 . tcp . 80 : goto reject-chain']);
    expect(elements(none, 'no-endpoint-nodeports')).toEqual(['tcp . 30080 : goto reject-chain']);
    expect(elements(none, 'service-ips')).toEqual([]);
    const remote = compile([svc('web', { type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], [slice('web', ['10.244.1.5'])]);
    expect(elements(remote, 'no-endpoint-nodeports')).toEqual(['tcp . 30080 : drop']);
    expect(elements(remote, 'service-ips')).toEqual([expect.stringMatching(/^10\.96\.0\.10 \. tcp \. 80 : goto svc-/)]);
  });

  it('masquerades ClusterIP traffic only from outside the cluster CIDR, or all of it with masqueradeAll, or none without a CIDR', () => {
    const sl = [slice('web', ['10.244.1.5'])];
    expect(chain(compile([svc('web')], sl), 'svc-')[0]).toBe('ip daddr 10.96.0.10 ip saddr != @cluster-cidrs jump mark-for-masquerade');
    expect(chain(compile([svc('web')], sl, { ...NODE, masqueradeAll: true }), 'svc-')[0]).toBe('ip daddr 10.96.0.10 jump mark-for-masquerade');
    expect(chain(compile([svc('web')], sl, { ...NODE, clusterCIDRs: [] }), 'svc-')[0]).toMatch(/^goto sep-/);
  });

  it('drops unallocated service-CIDR addresses and rejects unknown ports of allocated ClusterIPs', () => {
    const t = compile([svc('web')], [], { ...NODE, serviceCIDRs: ['10.96.0.0/16', '10.97.0.0/16'] });
    expect(chain(t, 'cluster-ips-check')).toEqual(['ip daddr @cluster-ips goto reject-chain', 'ip daddr 10.96.0.0/16 drop', 'ip daddr 10.97.0.0/16 drop']);
    expect(elements(t, 'cluster-ips')).toEqual(['10.96.0.10']);
  });

  it('lists one ClusterIP once for several ports and keeps every name bounded and unique', () => {
    const long = 'x'.repeat(63);
    const s = svc(long, { ns: long, ports: [{ name: long, port: 80 }, { name: 'b', port: 81 }] });
    const t = compile([s], [slice(long, ['10.244.1.5'], [{ name: long, port: 80 }, { name: 'b', port: 81 }], { ns: long })]);
    expect(elements(t, 'cluster-ips')).toEqual(['10.96.0.10']);
    const names = [...t.chains, ...t.sets, ...t.maps].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(110);
  });

  it('keeps the family a parameter: an IPv6 node compiles an ip6 table from IPv6 addresses only', () => {
    const v6 = { ...NODE, family: 'IPv6' as const, nodeIPs: ['fd00:56::10'], clusterCIDRs: ['fd00:244::/56'], serviceCIDRs: ['fd00:96::/112'] };
    const s = svc('web', { clusterIP: 'fd00:96::10' });
    s.spec!.clusterIPs = ['10.96.0.10', 'fd00:96::10'];
    const t = compile([s], [slice('web', ['fd00:244::5'], undefined, { addressType: 'IPv6' }), slice('web', ['10.244.1.5'], undefined, { name: 'web-v4' })], v6);
    expect(t.family).toBe('ip6');
    expect(elements(t, 'service-ips')).toEqual([expect.stringMatching(/^fd00:96::10 \. tcp \. 80 : goto svc-/)]);
    expect(chain(t, 'sep-')).toEqual(['ip6 saddr fd00:244::5 jump mark-for-masquerade', 'meta l4proto tcp dnat to [fd00:244::5]:8080']);
    expect(chain(t, 'services')[1]).toBe('fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @service-nodeports');
    for (const n of t.chains.map((c) => c.name)) expect(n).not.toContain(':');
  });

  it('is deterministic', () => {
    const a = renderRuleset(compile([svc('web', { scheduler: 'maglev' })], [slice('web', ['10.244.1.5', '10.244.1.6'])]));
    const b = renderRuleset(compile([svc('web', { scheduler: 'maglev' })], [slice('web', ['10.244.1.6', '10.244.1.5'])]));
    expect(a).toBe(b);
  });
});

import { describe, expect, it } from 'vitest';
import { formatResult, mergeResults, parseResult, type CniResult } from './result.js';
import { SUPPORTED_VERSIONS } from './version.js';

const r: CniResult = {
  interfaces: [
    { name: 'hw1', mac: '02:00:00:00:00:01', mtu: 1500 },
    { name: 'eth0', mac: '0a:58:0a:f4:01:02', mtu: 1500, sandbox: '/run/netns/p' },
  ],
  ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1', interface: 1 }, { address: 'fd00::2/64', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1', mtu: 1400 }],
  dns: { nameservers: ['10.96.0.10'] },
};

describe('formatResult', () => {
  it.each([
    ['0.3.0', true, false],
    ['0.3.1', true, false],
    ['0.4.0', true, false],
    ['1.0.0', false, false],
    ['1.1.0', false, true],
  ] as const)('%s: ips version field %s, 1.1 fields %s', (v, hasIpVersion, has11) => {
    const out = formatResult(r, v) as { cniVersion: string; ips: Record<string, unknown>[]; interfaces: Record<string, unknown>[]; routes: Record<string, unknown>[] };
    expect(out.cniVersion).toBe(v);
    expect(out.ips.map((i) => i.version)).toEqual(hasIpVersion ? ['4', '6'] : [undefined, undefined]);
    expect('mtu' in out.interfaces[0]!).toBe(has11);
    expect('mtu' in out.routes[0]!).toBe(has11);
    expect(out.interfaces[1]!.sandbox).toBe('/run/netns/p');
    expect(out.ips[0]!.gateway).toBe('10.244.1.1');
  });
  it.each(SUPPORTED_VERSIONS)('%s round-trips through parseResult (minus fields the version lacks)', (v) => {
    const back = parseResult(JSON.parse(JSON.stringify(formatResult(r, v))));
    expect(back.ips).toEqual(r.ips);
    expect(back.interfaces.map((i) => i.name)).toEqual(['hw1', 'eth0']);
  });
});

describe('parseResult', () => {
  it('missing lists are empty', () => expect(parseResult({ cniVersion: '1.0.0' })).toEqual({ interfaces: [], ips: [], routes: [], dns: {} }));
  it.each([
    ['not an object', 3],
    ['interfaces not a list', { interfaces: {} }],
    ['interface without name', { interfaces: [{ mac: 'x' }] }],
    ['ip without address', { ips: [{ gateway: '1.1.1.1' }] }],
    ['ip with string interface', { ips: [{ address: '1.1.1.1/32', interface: '0' }] }],
    ['route without dst', { routes: [{ gw: '1.1.1.1' }] }],
  ])('refuses %s (code 7)', (_n, v) => {
    expect(() => parseResult(v)).toThrow(expect.objectContaining({ code: 7 }));
  });
});

describe('mergeResults', () => {
  it('appends ours after the previous plugin, shifting interface indices', () => {
    const prev: CniResult = { interfaces: [{ name: 'lo' }], ips: [{ address: '127.0.0.1/8', interface: 0 }], routes: [], dns: { domain: 'x' } };
    const m = mergeResults(prev, { ...r, dns: {} });
    expect(m.interfaces.map((i) => i.name)).toEqual(['lo', 'hw1', 'eth0']);
    expect(m.ips.map((i) => i.interface)).toEqual([0, 2, 2]);
    expect(m.dns).toEqual({ domain: 'x' });
  });
  it('no previous result: ours unchanged', () => expect(mergeResults(undefined, r)).toBe(r));
});

import { describe, expect, it } from 'vitest';
import { parseConfig, podCidrFromFile } from './config.js';

const base = { cniVersion: '1.1.0', name: 'k8s', type: 'hawser' };

describe('parseConfig', () => {
  it('fills defaults', () => {
    expect(parseConfig(base)).toEqual({
      name: 'k8s', bridge: 'hawser0', mtu: 1500, hairpinMode: true, ipMasq: false, clusterCIDR: undefined,
      podCIDR: undefined, podCIDRFile: '/run/hawser/pod-cidr', dataDir: '/var/lib/hawser/cni', dns: {},
      runtimeConfig: {}, prevResult: undefined,
    });
  });
  it('reads every field and ignores unknown ones', () => {
    const c = parseConfig({
      ...base, bridge: 'cbr0', mtu: 1450, hairpinMode: false, ipMasq: true, clusterCIDR: '10.244.0.0/16',
      podCIDR: '10.244.3.0/24', podCIDRFile: '/tmp/x', dataDir: '/tmp/d', dns: { nameservers: ['10.96.0.10'] },
      runtimeConfig: { portMappings: [] }, somethingElse: 1,
      prevResult: { cniVersion: '0.3.1', interfaces: [{ name: 'lo' }], ips: [{ version: '4', address: '127.0.0.1/8' }] },
    });
    expect(c).toMatchObject({ bridge: 'cbr0', mtu: 1450, hairpinMode: false, ipMasq: true, podCIDR: '10.244.3.0/24', dataDir: '/tmp/d' });
    expect(c.prevResult?.ips).toEqual([{ address: '127.0.0.1/8' }]);
    expect(c.runtimeConfig).toEqual({ portMappings: [] });
  });
  it.each([
    ['wrong type', { type: 'bridge' }],
    ['bridge name too long', { bridge: 'a234567890123456' }],
    ['bridge name with space', { bridge: 'a b' }],
    ['mtu a string', { mtu: '1500' }],
    ['mtu too small', { mtu: 10 }],
    ['hairpinMode a string', { hairpinMode: 'yes' }],
    ['ipMasq without clusterCIDR', { ipMasq: true }],
    ['bad clusterCIDR', { clusterCIDR: '10.0.0.0/33' }],
    ['podCIDR with host bits', { podCIDR: '10.244.1.1/24' }],
    ['podCIDR /32', { podCIDR: '10.244.1.1/32' }],
    ['podCIDR garbage', { podCIDR: 'x' }],
    ['relative dataDir', { dataDir: 'var/lib' }],
    ['dataDir with ..', { dataDir: '/var/../etc' }],
    ['bad prevResult', { prevResult: { ips: 'x' } }],
    ['runtimeConfig a list', { runtimeConfig: [] }],
  ])('refuses %s with code 7', (_n, extra) => {
    expect(() => parseConfig({ ...base, ...extra })).toThrow(expect.objectContaining({ code: 7 }));
  });
});

describe('podCidrFromFile', () => {
  it.each([
    ['10.244.1.0/24\n', '10.244.1.0/24'],
    ['10.244.1.0/24,fd00:1::/64', '10.244.1.0/24'],
    ['  fd00:1::/64 ', 'fd00:1::/64'],
  ])('%j → %s', (text, want) => expect(podCidrFromFile(text, '/f')).toBe(want));
  it('empty file: try again later (11)', () => expect(() => podCidrFromFile('\n', '/f')).toThrow(expect.objectContaining({ code: 11 })));
  it('garbage: invalid config (7)', () => expect(() => podCidrFromFile('nope', '/f')).toThrow(expect.objectContaining({ code: 7 })));
});

import { describe, expect, it } from 'vitest';
import { hostVethMac, hostVethName, macForAddress } from './names.js';

describe('names', () => {
  it('host veth name: hw + 12 hex, deterministic, per attachment', () => {
    const a = hostVethName('abc', 'eth0');
    expect(a).toMatch(/^hw[0-9a-f]{12}$/);
    expect(hostVethName('abc', 'eth0')).toBe(a);
    expect(hostVethName('abc', 'eth1')).not.toBe(a);
    expect(hostVethName('abd', 'eth0')).not.toBe(a);
    // The separator keeps ("ab","ceth0") and ("abc","eth0") apart.
    expect(hostVethName('ab', 'ceth0')).not.toBe(a);
  });
  it.each([
    ['10.244.1.2', '0a:58:0a:f4:01:02'],
    ['10.244.1.1', '0a:58:0a:f4:01:01'],
    ['fd00::1:ff02', '0a:58:00:01:ff:02'],
  ])('macForAddress(%s) = %s', (ip, mac) => expect(macForAddress(ip)).toBe(mac));
  it('host veth MAC is locally administered unicast and deterministic', () => {
    const m = hostVethMac('abc', 'eth0');
    expect(m).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(hostVethMac('abc', 'eth0')).toBe(m);
    expect(hostVethMac('abc', 'eth1')).not.toBe(m);
  });
});

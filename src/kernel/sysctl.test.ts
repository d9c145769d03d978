import { describe, expect, it } from 'vitest';
import { getSysctl, setSysctl, sysctlPath } from './sysctl.js';

describe('sysctlPath', () => {
  it('maps net.* keys to /proc/sys/net', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
    expect(sysctlPath('net/ipv4/conf/eth0.100/rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
  });
  it.each(['kernel.pid_max', 'vm.swappiness', 'net', 'net.ipv4/../../kernel/x', 'net.a b'])('refuses %j', (k) => {
    expect(() => sysctlPath(k)).toThrow(/refusing sysctl/);
  });
});

describe('namespace guard', () => {
  it('refuses to act without a netns unless currentNamespace is set', async () => {
    await expect(setSysctl('net.ipv4.ip_forward', 1, {})).rejects.toThrow(/give a netns/);
    await expect(getSysctl('net.ipv4.ip_forward', {})).rejects.toThrow(/give a netns/);
  });
});

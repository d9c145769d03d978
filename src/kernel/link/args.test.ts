import { describe, expect, it } from 'vitest';
import { routeArgs } from './route.js';
import { vxlanArgs } from './vxlan.js';
import { batchLine } from './batch.js';
import { checkLinkName, ipArgv } from './ip.js';
import { LinkError } from './errors.js';

describe('routeArgs', () => {
  it('infers the family from dst, then via', () => {
    expect(routeArgs('add', { dst: '10.244.1.0/24', via: '192.168.56.11' })).toEqual(
      ['-4', 'route', 'add', '10.244.1.0/24', 'via', '192.168.56.11']);
    expect(routeArgs('add', { dst: 'default', via: 'fe80::1', dev: 'eth0' })).toEqual(
      ['-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0']);
    expect(routeArgs('del', { dst: 'fd00::/64', dev: 'eth0' })[0]).toBe('-6');
    expect(routeArgs('del', { dst: 'default', family: 6 })[0]).toBe('-6');
  });

  it('puts every option in iproute2 order with onlink last', () => {
    expect(routeArgs('replace', {
      dst: 'default', via: '10.244.0.1', dev: 'eth0', src: '10.244.0.5', scope: 'global',
      table: 100, metric: 10, onlink: true,
    })).toEqual(['-4', 'route', 'replace', 'default', 'via', '10.244.0.1', 'dev', 'eth0',
      'src', '10.244.0.5', 'scope', 'global', 'table', '100', 'metric', '10', 'onlink']);
  });

  it('refuses an invalid device name', () => {
    expect(() => routeArgs('add', { dst: '10.0.0.0/8', dev: 'a-name-that-is-too-long' })).toThrow(LinkError);
  });
});

describe('vxlanArgs', () => {
  it('builds a learning-free device by default', () => {
    expect(vxlanArgs({ name: 'vx0', vni: 1, local: '192.168.56.10', dev: 'eth0', dstPort: 4789 })).toEqual(
      ['link', 'add', 'vx0', 'type', 'vxlan', 'id', '1', 'local', '192.168.56.10', 'dev', 'eth0', 'dstport', '4789', 'nolearning']);
    expect(vxlanArgs({ name: 'vx0', vni: 7, local: '1.2.3.4', dev: 'e', dstPort: 8472, learning: true, mtu: 1450 }))
      .toEqual(['link', 'add', 'vx0', 'mtu', '1450', 'type', 'vxlan', 'id', '7', 'local', '1.2.3.4', 'dev', 'e', 'dstport', '8472', 'learning']);
  });
});

describe('checkLinkName', () => {
  it.each(['eth0', 'hwt1234-a.b', 'x'.repeat(15)])('accepts %s', (n) => {
    expect(() => checkLinkName(n)).not.toThrow();
  });
  it.each(['', 'x'.repeat(16), 'a/b', 'a b', 'a:1', '..'])('refuses %j', (n) => {
    expect(() => checkLinkName(n)).toThrow(LinkError);
  });
});

describe('batchLine', () => {
  it('joins plain words', () => {
    expect(batchLine(['link', 'set', 'dev', 'eth0', 'up'])).toBe('link set dev eth0 up');
  });
  it.each([['a b'], [''], ['#x'], ['"q']])('refuses %j, which the batch parser would split or drop', (w) => {
    expect(() => batchLine(['link', w])).toThrow(LinkError);
  });
});

describe('ipArgv', () => {
  it('uses the tool\'s own -n for names and nsenter (exec netns) for paths', () => {
    expect(ipArgv('ip', ['link'], 'hwt1-a')).toEqual({ argv: ['ip', '-n', 'hwt1-a', 'link'] });
    expect(ipArgv('bridge', ['fdb'], '/proc/7/ns/net')).toEqual({ argv: ['bridge', 'fdb'], netns: '/proc/7/ns/net' });
    expect(ipArgv('ip', ['link'], undefined)).toEqual({ argv: ['ip', 'link'] });
    expect(() => ipArgv('ip', ['link'], 'bad name')).toThrow(/invalid netns/);
  });
});

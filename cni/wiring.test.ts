import { describe, expect, it } from 'vitest';
import { batchLine } from '../src/kernel/link/index.js';
import { netnsRef, nodeBatch, podBatch, type BridgeSpec, type PodSpec } from './wiring.js';

const bridge: BridgeSpec = { name: 'hawser0', mtu: 1450, gatewayCidr: '10.244.1.1/24', mac: '0a:58:0a:f4:01:01' };
const pod: PodSpec = {
  netns: '/run/netns/p1', ifname: 'eth0', hostVeth: 'hw0123456789ab', hostMac: '02:01:02:03:04:05', containerMac: '0a:58:0a:f4:01:02',
  mtu: 1450, address: '10.244.1.2/24', gateway: '10.244.1.1', hairpin: true, bridge: 'hawser0',
};

describe('wiring batches', () => {
  it('node batch: bridge lines first, then the veth born in the pod netns, port setup', () => {
    expect(nodeBatch(pod, bridge, true).map(batchLine)).toEqual([
      'addr replace 10.244.1.1/24 dev hawser0',
      'link set dev hawser0 up',
      'link add hw0123456789ab mtu 1450 address 02:01:02:03:04:05 type veth peer name eth0 mtu 1450 address 0a:58:0a:f4:01:02 netns /run/netns/p1',
      'link set dev hw0123456789ab master hawser0',
      'link set dev hw0123456789ab type bridge_slave hairpin on',
      'link set dev hw0123456789ab up',
    ]);
  });
  it('re-assert without creating; hairpin off when configured so', () => {
    const lines = nodeBatch({ ...pod, hairpin: false }, bridge, false).map(batchLine);
    expect(lines.some((l) => l.startsWith('link add'))).toBe(false);
    expect(lines).toContain('link set dev hw0123456789ab type bridge_slave hairpin off');
  });
  it('pod batch is idempotent (replace) and IPv6 skips DAD', () => {
    expect(podBatch(pod).map(batchLine)).toEqual([
      'addr replace 10.244.1.2/24 dev eth0',
      'link set dev eth0 up',
      'route replace default via 10.244.1.1 dev eth0',
    ]);
    expect(podBatch({ ...pod, address: 'fd00::2/64', gateway: 'fd00::1' })[0]).toEqual(['addr', 'replace', 'fd00::2/64', 'dev', 'eth0', 'nodad']);
  });
});

describe('netnsRef', () => {
  it.each([
    ['/run/netns/cni-1234', 'cni-1234'],
    ['/var/run/netns/cni-1234', 'cni-1234'],
    ['/proc/42/ns/net', '/proc/42/ns/net'],
    ['/run/netns/a/b', '/run/netns/a/b'],
    ['/run/netns/..', '/run/netns/..'],
  ])('%s → %s', (path, ref) => expect(netnsRef(path)).toBe(ref));
  it('an IPv6 gateway is added without DAD', () => {
    expect(nodeBatch(pod, { ...bridge, gatewayCidr: 'fd00::1/64' }, false)[0]).toEqual(['addr', 'replace', 'fd00::1/64', 'dev', 'hawser0', 'nodad']);
  });
});

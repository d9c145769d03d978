import { describe, expect, it } from 'vitest';
import { staleUdpFlows } from './conntrack.js';
import { buildModel } from './model.js';
import { NODE, slice, svc } from './fixtures.js';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

const udp = (o: Parameters<typeof svc>[1] = {}): V1Service =>
  svc('dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', ...(o.type === 'NodePort' ? { nodePort: 30053 } : {}) }], ...o });
const eps = (...ips: string[]): V1EndpointSlice => slice('dns', ips, [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
const ports = (s: V1Service, e: V1EndpointSlice[]) => buildModel([s], e, NODE).services;

describe('staleUdpFlows', () => {
  it('deletes flows DNATed to a removed endpoint, on the ClusterIP and the NodePort', () => {
    const s = udp({ type: 'NodePort', externalIPs: ['192.168.56.99'] });
    expect(staleUdpFlows(ports(s, [eps('10.244.1.5', '10.244.2.6')]), ports(s, [eps('10.244.1.5')]))).toEqual([
      { proto: 'udp', origDst: '10.96.0.10', origDport: 53, dstNat: '10.244.2.6' },
      { proto: 'udp', origDst: '192.168.56.99', origDport: 53, dstNat: '10.244.2.6' },
      { proto: 'udp', origDport: 30053, dstNat: '10.244.2.6' },
    ]);
  });

  it('clears flows to a VIP when it gets its first endpoint (they were rejected before)', () => {
    expect(staleUdpFlows(ports(udp(), []), ports(udp(), [eps('10.244.1.5')]))).toEqual([{ proto: 'udp', origDst: '10.96.0.10', origDport: 53 }]);
  });

  it('cleans every endpoint of a deleted Service, and nothing for TCP or unchanged endpoints', () => {
    expect(staleUdpFlows(ports(udp(), [eps('10.244.1.5')]), [])).toEqual([{ proto: 'udp', origDst: '10.96.0.10', origDport: 53, dstNat: '10.244.1.5' }]);
    expect(staleUdpFlows(ports(udp(), [eps('10.244.1.5')]), ports(udp(), [eps('10.244.1.5')]))).toEqual([]);
    const tcp = svc('web');
    expect(staleUdpFlows(ports(tcp, [slice('web', ['10.244.1.5'])]), ports(tcp, []))).toEqual([]);
  });

  it('treats a changed target port as a stale endpoint', () => {
    const moved = slice('dns', ['10.244.1.5'], [{ name: 'dns', port: 5354, protocol: 'UDP' }]);
    expect(staleUdpFlows(ports(udp(), [eps('10.244.1.5')]), ports(udp(), [moved]))).toEqual([{ proto: 'udp', origDst: '10.96.0.10', origDport: 53, dstNat: '10.244.1.5' }]);
  });
});

import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { cidrNetworkAddress, desiredNodeNetwork, remoteNodes, vtepMac, VXLAN_DEVICE } from './node-routes.js';

function node(name: string, ip?: string, podCIDR?: string): V1Node {
  return {
    metadata: { name },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status: ip ? { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] } : {},
  };
}

const nodes = [
  node('n0', '192.168.56.10', '10.244.0.0/24'),
  node('n1', '192.168.56.11', '10.244.1.0/24'),
  node('n2', '192.168.56.12', '10.244.2.0/24'),
  node('n3', '192.168.56.13'), // no CIDR yet
  node('n4', undefined, '10.244.4.0/24'), // no address yet
];

describe('node routes', () => {
  it('host-gw routes every other routable node via its underlay IP', () => {
    const d = desiredNodeNetwork(nodes, { name: 'n0', ip: '192.168.56.10', podCIDR: '10.244.0.0/24' }, 'host-gw');
    expect(d.routes).toEqual([
      { dst: '10.244.1.0/24', via: '192.168.56.11' },
      { dst: '10.244.2.0/24', via: '192.168.56.12' },
    ]);
    expect(d.overlay).toBeUndefined();
  });

  it('vxlan routes onlink through the overlay device with fdb and neighbour entries', () => {
    const d = desiredNodeNetwork(nodes, { name: 'n1', ip: '192.168.56.11', podCIDR: '10.244.1.0/24' }, 'vxlan');
    expect(d.routes).toEqual([
      { dst: '10.244.0.0/24', via: '10.244.0.0', dev: VXLAN_DEVICE, onlink: true },
      { dst: '10.244.2.0/24', via: '10.244.2.0', dev: VXLAN_DEVICE, onlink: true },
    ]);
    expect(d.overlay).toEqual({
      localMac: '0e:a5:c0:a8:38:0b',
      localAddress: '10.244.1.0/32',
      fdb: [
        { mac: '0e:a5:c0:a8:38:0a', dst: '192.168.56.10' },
        { mac: '0e:a5:c0:a8:38:0c', dst: '192.168.56.12' },
      ],
      neighbours: [
        { ip: '10.244.0.0', mac: '0e:a5:c0:a8:38:0a' },
        { ip: '10.244.2.0', mac: '0e:a5:c0:a8:38:0c' },
      ],
    });
  });

  it('skips nodes without address or CIDR and itself', () => {
    expect(remoteNodes(nodes, 'n2').map((r) => r.name)).toEqual(['n0', 'n1']);
  });

  it('derives VTEP MACs and network addresses', () => {
    expect(vtepMac('10.0.0.255')).toBe('0e:a5:0a:00:00:ff');
    expect(() => vtepMac('10.0.0')).toThrow();
    expect(cidrNetworkAddress('10.244.3.17/24')).toBe('10.244.3.0');
    expect(cidrNetworkAddress('10.244.3.17/16')).toBe('10.244.0.0');
    expect(cidrNetworkAddress('10.244.3.17/32')).toBe('10.244.3.17');
  });
});

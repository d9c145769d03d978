import { describe, expect, it } from 'vitest';
import { isApiError } from '../../apiserver/errors.js';
import { mustParseCidr } from '../../net/cidr.js';
import type { Service } from '../types.js';
import { ServiceAllocator } from './service-allocator.js';
import { MemoryClaimStore, parsePortRange } from './value-allocator.js';

const mk = (cidr = '10.96.0.0/24', ports = '30000-30009', claims?: MemoryClaimStore) =>
  new ServiceAllocator({ serviceCidrs: cidr.split(',').map(mustParseCidr), nodePortRange: parsePortRange(ports)!, claims });

const svc = (name: string, spec: NonNullable<Service['spec']> = {}): Service => ({
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});

async function rejects(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('ServiceAllocator: ClusterIP', () => {
  it('gives the kubernetes Service the first address and defaults families', async () => {
    const a = mk();
    expect(a.kubernetesServiceIP()).toBe('10.96.0.1');
    const s = svc('kubernetes', { clusterIP: a.kubernetesServiceIP() });
    await (await a.admit(s)).commit();
    expect(s.spec).toMatchObject({ clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
  });

  it('allocates distinct addresses until the range is full, then answers 500 like upstream', async () => {
    const a = mk('10.96.0.0/28');
    const got = new Set<string>();
    for (let i = 0; i < 14; i++) {
      const s = svc(`s${i}`);
      await a.admit(s);
      got.add(s.spec!.clusterIP!);
    }
    expect(got.size).toBe(14);
    const full = await rejects(a.admit(svc('one-more')));
    expect(full.code).toBe(500);
    expect(full.message).toContain('range is full');
  });

  it('validates a requested address: syntax, range, free', async () => {
    const a = mk();
    await a.admit(svc('a', { clusterIP: '10.96.0.10' }));
    expect(await rejects(a.admit(svc('b', { clusterIP: '10.96.0.10' })))).toEqual({
      code: 422,
      message: 'Service "b" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.10": failed to allocate IP 10.96.0.10: provided IP is already allocated',
    });
    const out = await rejects(a.admit(svc('c', { clusterIP: '10.97.0.10' })));
    expect(out.message).toContain('The range of valid IPs is 10.96.0.0/24');
    expect((await rejects(a.admit(svc('d', { clusterIP: '10.96.0.255' })))).code).toBe(422);
    expect((await rejects(a.admit(svc('e', { clusterIP: 'nope' })))).message).toContain('must be a valid IP address');
    expect((await rejects(a.admit(svc('f', { ipFamilies: ['IPv6'] })))).message).toContain('IPv6 is not configured');
  });

  it('headless and ExternalName take nothing', async () => {
    const a = mk();
    const h = svc('h', { clusterIP: 'None' });
    await a.admit(h);
    expect(h.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
    const x = svc('x', { type: 'ExternalName', externalName: 'example.com' });
    await a.admit(x);
    expect(x.spec!.clusterIP).toBeUndefined();
    expect(a.ips.get(4)!.used).toBe(0);
  });

  it('a rejected request leaves nothing allocated', async () => {
    const a = mk();
    await a.admit(svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    const before = [a.ips.get(4)!.used, a.nodePorts.used];
    await rejects(a.admit(svc('b', { type: 'NodePort', ports: [{ port: 81 }, { port: 80, nodePort: 30001 }] })));
    expect([a.ips.get(4)!.used, a.nodePorts.used]).toEqual(before);
  });

  it('abort gives back what the request took', async () => {
    const a = mk();
    const r = await a.admit(svc('a', { type: 'NodePort' }));
    await r.abort();
    expect([a.ips.get(4)!.used, a.nodePorts.used]).toEqual([0, 0]);
  });

  it('dual-stack: PreferDualStack gets one address per configured family', async () => {
    const a = mk('10.96.0.0/24,fd00:96::/112');
    const s = svc('ds', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'] });
    await a.admit(s);
    expect(s.spec!.ipFamilies).toEqual(['IPv6', 'IPv4']);
    expect(s.spec!.clusterIPs![0]).toMatch(/^fd00:96::/);
    expect(s.spec!.clusterIPs![1]).toMatch(/^10\.96\.0\./);
    expect((await rejects(mk().admit(svc('r', { ipFamilyPolicy: 'RequireDualStack' })))).code).toBe(422);
  });
});

describe('ServiceAllocator: NodePorts', () => {
  it('allocates automatically, shares one port between protocols of the same port', async () => {
    const a = mk();
    const s = svc('dns', { type: 'NodePort', ports: [{ name: 'udp', port: 53, protocol: 'UDP' }, { name: 'tcp', port: 53, protocol: 'TCP' }, { name: 'm', port: 9153 }] });
    await a.admit(s);
    const [u, t, m] = s.spec!.ports!.map((p) => p.nodePort);
    expect(u).toBe(t);
    expect(m).not.toBe(u);
    expect(a.nodePorts.used).toBe(2);
  });

  it('rejects a collision and an out-of-range port with the upstream messages', async () => {
    const a = mk();
    await a.admit(svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30005 }] }));
    expect((await rejects(a.admit(svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30005 }] })))).message).toBe(
      'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30005: provided port is already allocated',
    );
    expect((await rejects(a.admit(svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] })))).message).toContain(
      'provided port is not in the valid range. The range of valid ports is 30000-30009',
    );
  });

  it('keeps ports on update when the client omits them, releases on type change after commit', async () => {
    const a = mk();
    const s = svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
    await (await a.admit(s)).commit();
    const ip = s.spec!.clusterIP;
    const np = s.spec!.ports![0]!.nodePort;
    const upd = svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
    await (await a.admit(upd, s)).commit();
    expect(upd.spec!.clusterIP).toBe(ip);
    expect(upd.spec!.ports![0]!.nodePort).toBe(np);
    const toClusterIP = structuredClone(upd);
    toClusterIP.spec!.type = 'ClusterIP';
    const r = await a.admit(toClusterIP, upd);
    expect(toClusterIP.spec!.ports![0]!.nodePort).toBeUndefined();
    expect(a.nodePorts.isAllocated(np!)).toBe(true); // not before the write succeeded
    await r.commit();
    expect(a.nodePorts.isAllocated(np!)).toBe(false);
    expect(a.ips.get(4)!.isAllocated(ip!)).toBe(true);
    const toExternal = structuredClone(toClusterIP);
    toExternal.spec!.type = 'ExternalName';
    toExternal.spec!.externalName = 'example.com';
    await (await a.admit(toExternal, toClusterIP)).commit();
    expect(toExternal.spec!.clusterIP).toBeUndefined();
    expect(a.ips.get(4)!.used).toBe(0);
  });

  it('a failed update keeps the old values', async () => {
    const a = mk();
    const s = svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
    await a.admit(s);
    const upd = structuredClone(s);
    upd.spec!.ports!.push({ name: 'extra', port: 81 });
    const r = await a.admit(upd, s);
    expect(a.nodePorts.used).toBe(2);
    await r.abort();
    expect(a.nodePorts.used).toBe(1);
    expect(a.nodePorts.isAllocated(s.spec!.ports![0]!.nodePort!)).toBe(true);
  });

  it('healthCheckNodePort for LoadBalancer with externalTrafficPolicy Local', async () => {
    const a = mk();
    const lb = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    await a.admit(lb);
    expect(lb.spec!.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.spec!.healthCheckNodePort).not.toBe(lb.spec!.ports![0]!.nodePort);
    expect(a.nodePorts.used).toBe(2);
    const cluster = svc('c', { type: 'LoadBalancer' });
    await a.admit(cluster);
    expect(cluster.spec!.healthCheckNodePort).toBeUndefined();
    await a.release(lb);
    expect(a.nodePorts.used).toBe(1);
  });

  it('allocateLoadBalancerNodePorts=false allocates none', async () => {
    const a = mk();
    const lb = svc('lb', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false });
    await a.admit(lb);
    expect(lb.spec!.ports![0]!.nodePort).toBeUndefined();
  });
});

describe('ServiceAllocator: restarts and two apiservers', () => {
  it('rebuild from stored Services keeps new allocations distinct', async () => {
    const a = mk('10.96.0.0/28', '30000-30004');
    const stored: Service[] = [];
    for (let i = 0; i < 7; i++) {
      const s = svc(`s${i}`, { type: i < 5 ? 'NodePort' : 'ClusterIP' });
      await a.admit(s);
      stored.push(s);
    }
    const b = mk('10.96.0.0/28', '30000-30004');
    expect(b.rebuild(stored)).toEqual([]);
    const fresh = svc('fresh');
    await b.admit(fresh);
    expect(stored.map((s) => s.spec!.clusterIP)).not.toContain(fresh.spec!.clusterIP);
    expect((await rejects(b.admit(svc('np', { type: 'NodePort' })))).code).toBe(500);
  });

  it('two allocators sharing one claim store never hand out the same value', async () => {
    const claims = new MemoryClaimStore();
    // Same random sequence on both sides: without claims they would collide every time.
    const a = new ServiceAllocator({ serviceCidrs: [mustParseCidr('10.96.0.0/28')], nodePortRange: parsePortRange('30000-30019')!, claims, random: () => 0.5 });
    const b = new ServiceAllocator({ serviceCidrs: [mustParseCidr('10.96.0.0/28')], nodePortRange: parsePortRange('30000-30019')!, claims, random: () => 0.5 });
    const all = await Promise.all(Array.from({ length: 14 }, (_, i) => {
      const s = svc(`s${i}`, { type: 'NodePort' });
      return (i % 2 ? a : b).admit(s).then(() => s);
    }));
    expect(new Set(all.map((s) => s.spec!.clusterIP)).size).toBe(14);
    expect(new Set(all.map((s) => s.spec!.ports![0]!.nodePort)).size).toBe(14);
    // A requested value held by the other apiserver is a 422.
    const taken = all[0]!.spec!.clusterIP!;
    const other = all[0]!.metadata.name === 's0' ? a : b;
    expect((await rejects(other.admit(svc('dup', { clusterIP: taken })))).code).toBe(422);
    expect((await claims.list('serviceips-v4')).length).toBe(14);
  });
});

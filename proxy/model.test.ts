import { describe, expect, it } from 'vitest';
import { buildModel, cidrOfFamily } from './model.js';
import { NODE, slice, svc } from './fixtures.js';

const ips = (eps: Array<{ ip: string }>): string[] => eps.map((e) => e.ip);

describe('buildModel', () => {
  it('makes one ServicePort per port and protocol with named target ports resolved per slice port', () => {
    const s = svc('web', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] });
    const sl = slice('web', ['10.244.1.5', '10.244.2.7'], [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }]);
    const m = buildModel([s], [sl], NODE);
    expect(m.services.map((p) => p.key)).toEqual(['default/web:dns/UDP', 'default/web:http/TCP']);
    const dns = m.services[0]!;
    expect(dns.port).toBe(53);
    expect(dns.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.244.1.5:5353', '10.244.2.7:5353']);
    expect(m.services[1]!.endpoints.map((e) => e.port)).toEqual([8080, 8080]);
  });

  it('skips ExternalName, headless and opted-out Services', () => {
    const services = [
      svc('ext', { type: 'ExternalName' }),
      svc('headless', { clusterIP: 'None' }),
      svc('other', { labels: { 'service.kubernetes.io/service-proxy-name': 'someone-else' } }),
      svc('hl', { labels: { 'service.kubernetes.io/headless': '' } }),
      svc('kept'),
    ];
    expect(buildModel(services, [], NODE).services.map((p) => p.id.name)).toEqual(['kept']);
    const mine = buildModel([svc('other', { labels: { 'service.kubernetes.io/service-proxy-name': 'hawser' } })], [], { ...NODE, serviceProxyName: 'hawser' });
    expect(mine.services).toHaveLength(1);
  });

  it('uses terminating serving endpoints only when no endpoint is ready', () => {
    const s = svc('web');
    const both = slice('web', [{ ip: '10.244.1.5' }, { ip: '10.244.1.6', ready: false, serving: true, terminating: true }]);
    expect(ips(buildModel([s], [both], NODE).services[0]!.clusterEndpoints)).toEqual(['10.244.1.5']);
    const termOnly = slice('web', [{ ip: '10.244.1.6', ready: false, serving: true, terminating: true }, { ip: '10.244.1.7', ready: false, serving: false, terminating: true }]);
    const p = buildModel([s], [termOnly], NODE).services[0]!;
    expect(ips(p.clusterEndpoints)).toEqual(['10.244.1.6']);
    expect(p.hasAnyEndpoints).toBe(true);
    const none = slice('web', [{ ip: '10.244.1.7', ready: false, serving: false }]);
    expect(buildModel([s], [none], NODE).services[0]!.hasAnyEndpoints).toBe(false);
  });

  it('filters Local policies to this node and keeps hasAnyEndpoints when only other nodes have some', () => {
    const s = svc('web', { type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
    const sl = slice('web', [{ ip: '10.244.0.5', node: 'node-a' }, { ip: '10.244.1.5', node: 'node-b' }]);
    const p = buildModel([s], [sl], NODE).services[0]!;
    expect(p.externalLocal).toBe(true);
    expect(ips(p.localEndpoints)).toEqual(['10.244.0.5']);
    expect(ips(p.clusterEndpoints)).toEqual(['10.244.0.5', '10.244.1.5']);
    const remote = buildModel([s], [slice('web', [{ ip: '10.244.1.5', node: 'node-b' }])], NODE).services[0]!;
    expect(remote.localEndpoints).toEqual([]);
    expect(remote.hasAnyEndpoints).toBe(true);
    const itp = buildModel([svc('web', { itp: 'Local' })], [sl], NODE).services[0]!;
    expect(itp.clusterEndpoints).toEqual([]); // nothing uses the Cluster policy
    expect(ips(itp.localEndpoints)).toEqual(['10.244.0.5']);
  });

  it('ignores externalTrafficPolicy for Services that are not externally reachable', () => {
    expect(buildModel([svc('web', { etp: 'Local' })], [], NODE).services[0]!.externalLocal).toBe(false);
  });

  it('takes LB IPs and source ranges only for type LoadBalancer, and only of its family', () => {
    const lb = svc('lb', { type: 'LoadBalancer', lbIPs: ['192.168.56.200', 'fd00::1'], sourceRanges: ['203.0.113.7/24', '2001:db8::/32', '198.51.100.9'], ports: [{ name: 'http', port: 80, nodePort: 30080 }], etp: 'Local', healthCheckNodePort: 32000 });
    const p = buildModel([lb], [], NODE).services[0]!;
    expect(p.loadBalancerIPs).toEqual(['192.168.56.200']);
    expect(p.loadBalancerSourceRanges).toEqual(['203.0.113.0/24', '198.51.100.9/32']);
    expect(p.healthCheckNodePort).toBe(32000);
    expect(p.nodePort).toBe(30080);
    const notLb = svc('np', { type: 'NodePort', lbIPs: ['192.168.56.201'], sourceRanges: ['1.2.3.0/24'], ports: [{ port: 80, nodePort: 30081 }] });
    const q = buildModel([notLb], [], NODE).services[0]!;
    expect(q.loadBalancerIPs).toEqual([]);
    expect(q.loadBalancerSourceRanges).toEqual([]);
    expect(q.healthCheckNodePort).toBe(0);
  });

  it('reads affinity, the scheduler annotation (falling back to the node default) and skips other-family slices', () => {
    const s = svc('web', { affinity: 60, scheduler: 'Maglev' });
    const p = buildModel([s], [slice('web', ['fd00::5'], undefined, { addressType: 'IPv6' })], NODE).services[0]!;
    expect(p.affinityTimeout).toBe(60);
    expect(p.scheduler).toBe('maglev');
    expect(p.endpoints).toEqual([]);
    expect(buildModel([svc('web', { scheduler: 'bogus' })], [], { ...NODE, scheduler: 'roundrobin' }).services[0]!.scheduler).toBe('roundrobin');
    expect(buildModel([svc('web', { affinity: 0 })], [], NODE).services[0]!.affinityTimeout).toBe(0);
  });

  it('merges slices, a later slice winning for the same address, ignoring slices of other Services', () => {
    const a = slice('web', [{ ip: '10.244.1.5', ready: false, serving: false }], undefined, { name: 'web-a' });
    const b = slice('web', [{ ip: '10.244.1.5' }, '10.244.1.2'], undefined, { name: 'web-b' });
    const other = slice('db', ['10.244.9.9'], undefined, { name: 'db-a' });
    const p = buildModel([svc('web')], [b, other, a], NODE).services[0]!;
    expect(p.endpoints.map((e) => [e.ip, e.ready])).toEqual([['10.244.1.2', true], ['10.244.1.5', true]]);
  });
});

describe('cidrOfFamily', () => {
  it('normalises to the network address and rejects garbage', () => {
    expect(cidrOfFamily('10.1.2.3/8', 'IPv4')).toBe('10.0.0.0/8');
    expect(cidrOfFamily('nonsense', 'IPv4')).toBeUndefined();
  });
});

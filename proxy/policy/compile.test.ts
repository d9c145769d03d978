// The compiled table as nft text (golden), and the properties the per-node design relies on.
import { describe, expect, it } from 'vitest';
import { renderTransaction } from '../../src/kernel/nft/render.js';
import { compilePolicy } from './compile.js';
import { fullTransaction } from './diff.js';
import { netpol } from './e2e/cases.js';
import { Cluster, makePod } from './e2e/world.js';
import { walkHook } from './walk.js';

const web = () => new Cluster().apply(netpol('x', 'web', { matchLabels: { pod: 'a' } }, {
  ingress: [{
    from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }, { ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.0/25'] } }],
    ports: [{ port: 'serve-80-tcp' }, { port: 81, protocol: 'UDP' }],
  }],
  egress: [{ to: [{ podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ port: 'serve-81-udp', protocol: 'UDP' }] }],
}));

const GOLDEN = `add table ip hawser-policy
delete table ip hawser-policy
add table ip hawser-policy { comment "hawser NetworkPolicy enforcement"; }
add set ip hawser-policy node-ips { type ipv4_addr; comment "this node: always allowed to and from its pods"; }
add element ip hawser-policy node-ips { 10.244.1.1 }
add element ip hawser-policy node-ips { 192.168.56.10 }
add set ip hawser-policy pc-fba413dd-x/web/i0 { type ipv4_addr; flags interval; comment "ipBlocks of x/web ingress[0]"; }
add element ip hawser-policy pc-fba413dd-x/web/i0 { 192.0.2.128/25 }
add set ip hawser-policy pn-afbe9ebe-x/web/e0 { type ipv4_addr . inet_proto . inet_service; comment "named ports of x/web egress[0]"; }
add element ip hawser-policy pn-afbe9ebe-x/web/e0 { 10.244.1.12 . udp . 81 }
add set ip hawser-policy pp-fba413dd-x/web/i0 { type ipv4_addr; comment "pods selected by x/web ingress[0]"; }
add element ip hawser-policy pp-fba413dd-x/web/i0 { 10.244.1.14 }
add element ip hawser-policy pp-fba413dd-x/web/i0 { 10.244.2.13 }
add element ip hawser-policy pp-fba413dd-x/web/i0 { 10.244.2.15 }
add set ip hawser-policy pt-0d62ab59-tcp_80_udp_81 { type inet_proto . inet_service; flags interval; }
add element ip hawser-policy pt-0d62ab59-tcp_80_udp_81 { tcp . 80 }
add element ip hawser-policy pt-0d62ab59-tcp_80_udp_81 { udp . 81 }
add map ip hawser-policy ingress-pods { type ipv4_addr : verdict; comment "isolated local pods by address: their ingress chain"; }
add map ip hawser-policy egress-pods { type ipv4_addr : verdict; comment "isolated local pods by address: their egress chain"; }
add chain ip hawser-policy forward { type filter hook forward priority 0; policy accept; }
add chain ip hawser-policy ing-700d73d3-x/a { comment "ingress of x/a"; }
add chain ip hawser-policy egr-1c346fe8-x/a { comment "egress of x/a"; }
add rule ip hawser-policy forward ct state established,related accept
add rule ip hawser-policy forward ct state invalid drop
add rule ip hawser-policy forward ip saddr @node-ips accept
add rule ip hawser-policy forward ip daddr @node-ips accept
add rule ip hawser-policy forward ip saddr vmap @egress-pods
add rule ip hawser-policy forward ip daddr vmap @ingress-pods
add rule ip hawser-policy ing-700d73d3-x/a ip saddr @pp-fba413dd-x/web/i0 meta l4proto . th dport @pt-0d62ab59-tcp_80_udp_81 counter accept comment "x/web ingress[0]"
add rule ip hawser-policy ing-700d73d3-x/a ip saddr @pc-fba413dd-x/web/i0 meta l4proto . th dport @pt-0d62ab59-tcp_80_udp_81 counter accept comment "x/web ingress[0]"
add rule ip hawser-policy ing-700d73d3-x/a log prefix "hawser-deny x/web " counter drop comment "deny ingress x/a isolated by x/web"
add rule ip hawser-policy egr-1c346fe8-x/a ip daddr . meta l4proto . th dport @pn-afbe9ebe-x/web/e0 counter return comment "x/web egress[0]"
add rule ip hawser-policy egr-1c346fe8-x/a log prefix "hawser-deny x/web " counter drop comment "deny egress x/a isolated by x/web"
add element ip hawser-policy ingress-pods { 10.244.1.10 comment "x/a" : jump ing-700d73d3-x/a }
add element ip hawser-policy egress-pods { 10.244.1.10 comment "x/a" : jump egr-1c346fe8-x/a }
`;

describe('compilePolicy', () => {
  it('renders the expected nft text (named sets only, per-pod chains, log behind the flag)', () => {
    const rs = compilePolicy({ ...web().world(), nodeName: 'node-1', logDenied: true });
    expect(renderTransaction(fullTransaction(rs)).text).toBe(GOLDEN);
  });

  it('uses no anonymous sets and bounded, recognisable names', () => {
    const c = web();
    c.apply(netpol('x', 'a'.repeat(200), {}, { ingress: [{ from: [{ podSelector: {} }] }] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    for (const ch of rs.chains) for (const r of ch.rules) expect(r.rule).not.toMatch(/[{}]/);
    for (const n of [...rs.chains, ...rs.sets, ...rs.maps].map((o) => o.name)) {
      expect(n.length).toBeLessThanOrEqual(64);
      expect(n).toMatch(/^(forward|node-ips|ingress-pods|egress-pods|(ing|egr|pp|pc|pt|pn)-[0-9a-f]{8}-[A-Za-z0-9/_.-]+)$/);
    }
  });

  it('programs only this node: remote pods get no chain, but stay in peer sets', () => {
    const c = new Cluster().apply(netpol('x', 'from-y', {}, { ingress: [{ from: [{ namespaceSelector: {} }] }] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    expect(rs.maps.find((m) => m.name === 'ingress-pods')!.elements.map((e) => e.value![0]!.split('-').slice(2).join('-'))).toEqual(['x/a', 'x/c']);
    expect(rs.sets.find((s) => s.name.startsWith('pp-'))!.elements).toHaveLength(9);
  });

  it('a pod without an address is not programmed (there is nothing to match yet)', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const p = makePod('x', 'a');
    delete p.status;
    c.pods.set('x/a', p);
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    expect(rs.maps.find((m) => m.name === 'ingress-pods')!.elements.map((e) => e.key[0])).toEqual(['10.244.1.12']);
  });

  it('reject instead of drop when asked', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1', denyVerdict: 'reject' });
    const pkt = { saddr: '10.244.2.13', daddr: '10.244.1.10', proto: 'tcp', dport: 80, ct: 'new' as const };
    expect(walkHook(rs, 'forward', pkt).verdict).toBe('reject');
  });

  it('replies pass, invalid packets drop, the node itself passes', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [], egress: [] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1' });
    const base = { saddr: '10.244.2.13', daddr: '10.244.1.10', proto: 'tcp', dport: 80 };
    expect(walkHook(rs, 'forward', { ...base, ct: 'new' }).verdict).toBe('drop');
    expect(walkHook(rs, 'forward', { ...base, ct: 'established' }).verdict).toBe('accept');
    expect(walkHook(rs, 'forward', { ...base, saddr: '10.244.1.10', daddr: '10.244.2.13', ct: 'established' }).verdict).toBe('accept');
    expect(walkHook(rs, 'forward', { ...base, ct: 'invalid' }).verdict).toBe('drop');
    expect(walkHook(rs, 'forward', { ...base, saddr: '192.168.56.10', ct: 'new' }).verdict).toBe('accept');
    expect(walkHook(rs, 'forward', { ...base, saddr: '192.168.56.11', ct: 'new' }).verdict).toBe('drop');
  });

  it('the walk names the rule and counter that decided, and the deny log', () => {
    const c = new Cluster().apply(netpol('x', 'only-y', { matchLabels: { pod: 'a' } }, { ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }] }));
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1', logDenied: true });
    const ok = walkHook(rs, 'forward', { saddr: '10.244.2.13', daddr: '10.244.1.10', proto: 'udp', dport: 53, ct: 'new' });
    expect(ok.matched.at(-1)).toMatchObject({ comment: 'x/only-y ingress[0]' });
    const no = walkHook(rs, 'forward', { saddr: '10.244.1.16', daddr: '10.244.1.10', proto: 'udp', dport: 53, ct: 'new' });
    expect(no).toMatchObject({ verdict: 'drop', logs: ['hawser-deny x/only-y '] });
  });

  it('IPv6 is a separate table family with only IPv6 addresses', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const p = makePod('x', 'a');
    p.status!.podIPs = [{ ip: '10.244.1.10' }, { ip: 'fd00:10:244:1::10' }];
    c.pods.set('x/a', p);
    const rs = compilePolicy({ ...c.world(), nodeName: 'node-1', family: 'ip6' });
    expect(rs.family).toBe('ip6');
    expect(rs.maps.find((m) => m.name === 'ingress-pods')).toMatchObject({ type: ['ipv6_addr'], elements: [{ key: ['fd00:10:244:1::10'] }] });
    expect(rs.chains[0]!.rules.map((r) => r.rule)).toContain('ip6 daddr vmap @ingress-pods');
  });
});

// Unit tests of the live tracer on `nft -a monitor trace` text captured from nft 1.0.6
// (kernel 6.18): a probe 10.9.0.1:45124 → 10.99.0.1:80 through a node that DNATs it to
// 10.9.1.1:8080 and masquerades (fully-random: the source port changes), and its SYN-ACK.
import { describe, expect, it } from 'vitest';
import { parseConntrackLine } from '../kernel/conntrack.js';
import { parseFlowIds, parseTraceLine, parseTraceText, subscribedToTrace, traceTableText, type TraceMonitor } from '../kernel/nft-monitor.js';
import { deliveredTo, hopsFromEvents, liveTrace, renderLive, type LiveDeps } from './live.js';

const CAPTURED = `trace id 3d37f05c ip hawser-trace prerouting packet: iif "vb" ether saddr f2:4d:71:02:90:1e ether daddr 12:89:b4:54:b7:27 ip saddr 10.9.0.1 ip daddr 10.99.0.1 ip dscp 0x0d ip ecn not-ect ip ttl 64 ip id 29185 ip length 60 tcp sport 45124 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3d37f05c ip hawser-trace prerouting rule ip dscp 0x0d meta l4proto tcp meta nftrace set 1 # handle 6 (verdict continue)
trace id 3d37f05c ip hawser-trace prerouting policy accept 
trace id 3d37f05c ip hawser-trace prerouting-ct packet: iif "vb" ether saddr f2:4d:71:02:90:1e ether daddr 12:89:b4:54:b7:27 ip saddr 10.9.0.1 ip daddr 10.99.0.1 ip dscp 0x0d ip ecn not-ect ip ttl 64 ip id 29185 ip length 60 tcp sport 45124 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3d37f05c ip hawser-trace prerouting-ct rule ip dscp 0x0d ct direction original update @flows { ct id } # handle 8 (verdict continue)
trace id 3d37f05c ip hawser-trace prerouting-ct policy accept 
trace id 3d37f05c ip demo pre packet: iif "vb" ether saddr f2:4d:71:02:90:1e ether daddr 12:89:b4:54:b7:27 ip saddr 10.9.0.1 ip daddr 10.99.0.1 ip dscp 0x0d ip ecn not-ect ip ttl 64 ip id 29185 ip length 60 tcp sport 45124 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3d37f05c ip demo pre rule ip daddr . meta l4proto . th dport vmap @svcs # handle 10 (verdict goto svc-abc)
trace id 3d37f05c ip demo svc-abc rule numgen random mod 1 0 goto sep-1 comment "1 of 1" # handle 7 (verdict goto sep-1)
trace id 3d37f05c ip demo sep-1 rule meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080" # handle 8 (verdict accept)
trace id 3d37f05c ip demo forward packet: iif "vb" oif "vb2" ether saddr f2:4d:71:02:90:1e ether daddr 12:89:b4:54:b7:27 ip saddr 10.9.0.1 ip daddr 10.9.1.1 ip dscp 0x0d ip ecn not-ect ip ttl 63 ip id 29185 ip length 60 tcp sport 45124 tcp dport 8080 tcp flags == syn tcp window 64240 
trace id 3d37f05c ip demo forward rule counter packets 1 bytes 60 accept # handle 13 (verdict accept)
trace id 3d37f05c ip demo post packet: iif "vb" oif "vb2" ether saddr f2:4d:71:02:90:1e ether daddr 12:89:b4:54:b7:27 ip saddr 10.9.0.1 ip daddr 10.9.1.1 ip dscp 0x0d ip ecn not-ect ip ttl 63 ip id 29185 ip length 60 tcp sport 45124 tcp dport 8080 tcp flags == syn tcp window 64240 
trace id 3d37f05c ip demo post rule ip daddr 10.9.1.0/24 masquerade fully-random # handle 11 (verdict accept)
trace id b1330705 ip hawser-trace prerouting-ct packet: iif "vb2" ether saddr 5a:38:57:1b:d1:77 ether daddr 96:3f:f5:8f:fd:6a ip saddr 10.9.1.1 ip daddr 10.9.1.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 0 ip length 60 tcp sport 8080 tcp dport 49506 tcp flags == 0x12 tcp window 65160 
trace id b1330705 ip hawser-trace prerouting-ct rule ct direction reply ct id @flows tcp flags syn,rst meta nftrace set 1 # handle 9 (verdict continue)
trace id b1330705 ip hawser-trace prerouting-ct policy accept 
trace id b1330705 ip demo forward packet: iif "vb2" oif "vb" ether saddr 5a:38:57:1b:d1:77 ether daddr 96:3f:f5:8f:fd:6a ip saddr 10.9.1.1 ip daddr 10.9.0.1 ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 0 ip length 60 tcp sport 8080 tcp dport 45124 tcp flags == 0x12 tcp window 65160 
trace id b1330705 ip demo forward rule ct state established,related accept # handle 12 (verdict accept)`;

const CHAINS = [
  { family: 'ip', table: 'demo', chain: 'pre', hook: 'prerouting', priority: -100 },
  { family: 'ip', table: 'demo', chain: 'forward', hook: 'forward', priority: 0 },
  { family: 'ip', table: 'demo', chain: 'post', hook: 'postrouting', priority: 100 },
];

describe('parseTraceLine', () => {
  it('reads packet lines', () => {
    const e = parseTraceText(CAPTURED)[0]!;
    expect(e).toEqual({
      type: 'packet', id: '3d37f05c', family: 'ip', table: 'hawser-trace', chain: 'prerouting',
      packet: { src: '10.9.0.1', dst: '10.99.0.1', proto: 'tcp', sport: 45124, dport: 80, iif: 'vb', tcpFlags: 'syn' },
    });
  });
  it('reads rule lines with handle, comment and verdict', () => {
    expect(parseTraceLine('trace id 3d37f05c ip demo sep-1 rule meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080" # handle 8 (verdict accept)')).toEqual({
      type: 'rule', id: '3d37f05c', family: 'ip', table: 'demo', chain: 'sep-1',
      rule: 'meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080"', handle: 8, comment: 'endpoint 10.9.1.1:8080', verdict: 'accept',
    });
    expect(parseTraceLine('trace id 3d37f05c ip demo pre rule ip daddr . meta l4proto . th dport vmap @svcs # handle 10 (verdict goto svc-abc)'))
      .toMatchObject({ rule: 'ip daddr . meta l4proto . th dport vmap @svcs', handle: 10, verdict: 'goto svc-abc' });
  });
  it('reads policy and verdict lines, ignores anything else', () => {
    expect(parseTraceLine('trace id b1330705 ip hawser-trace prerouting-ct policy accept ')).toMatchObject({ type: 'policy', verdict: 'accept' });
    expect(parseTraceLine('trace id 0a1b2c3d ip t svc-x verdict continue')).toMatchObject({ type: 'verdict', chain: 'svc-x', verdict: 'continue' });
    expect(parseTraceLine('')).toBeUndefined();
    expect(parseTraceLine('Error: something')).toBeUndefined();
  });
  it('reads an ICMP error packet', () => {
    const e = parseTraceLine('trace id 11223344 ip demo forward packet: iif "vb2" oif "vb" ip saddr 10.9.1.1 ip daddr 10.9.0.1 ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 1 ip length 84 icmp type destination-unreachable icmp code port-unreachable');
    expect(e).toMatchObject({ type: 'packet', packet: { src: '10.9.1.1', dst: '10.9.0.1', proto: 'icmp', icmpType: 'destination-unreachable', iif: 'vb2', oif: 'vb' } });
  });
});

describe('hopsFromEvents', () => {
  const hops = hopsFromEvents('node1', parseTraceText(CAPTURED), CHAINS);
  it('leaves out our own table and keeps event order', () => {
    expect(hops.map((h) => `${h.hook} ${h.table} ${h.chain} ${h.verdict}`)).toEqual([
      'prerouting demo pre goto svc-abc',
      'prerouting demo svc-abc goto sep-1',
      'prerouting demo sep-1 accept',
      'forward demo forward accept',
      'postrouting demo post accept',
      'forward demo forward accept',
    ]);
  });
  it('gives each hop the packet as its base chain saw it (before / after DNAT, the reply)', () => {
    expect(hops[0]!.packet).toEqual({ src: '10.9.0.1', dst: '10.99.0.1', sport: 45124, dport: 80, proto: 'tcp', iif: 'vb' });
    expect(hops[2]!.packet?.dst).toBe('10.99.0.1');
    expect(hops[3]!.packet).toMatchObject({ dst: '10.9.1.1', dport: 8080, oif: 'vb2' });
    expect(hops[5]!.packet).toMatchObject({ src: '10.9.1.1', sport: 8080, dst: '10.9.0.1', dport: 45124 });
    expect(hops[2]).toMatchObject({ node: 'node1', handle: 8, comment: 'endpoint 10.9.1.1:8080', rule: 'meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080"' });
  });
  it('guesses the hook from a base chain name it has no listing for', () => {
    expect(hopsFromEvents('n', parseTraceText(CAPTURED)).map((h) => h.hook)).toEqual([undefined, undefined, undefined, 'forward', undefined, 'forward']);
  });
});

const CT1 = 'tcp      6 119 TIME_WAIT src=10.9.0.1 dst=10.99.0.1 sport=45124 dport=80 src=10.9.1.1 dst=10.9.1.2 sport=8080 dport=49506 [ASSURED] mark=0 use=1 id=3813247221';
const CT2 = 'tcp      6 119 TIME_WAIT src=10.9.1.2 dst=10.9.1.1 sport=49506 dport=8080 src=10.9.1.1 dst=10.9.1.2 sport=8080 dport=49506 [ASSURED] mark=0 use=1 id=447022474';

describe('conntrack', () => {
  it('parses -o id lines (TCP, UDP unreplied, ICMP)', () => {
    expect(parseConntrackLine(CT1)).toEqual({
      proto: 'tcp', timeout: 119, state: 'TIME_WAIT', flags: ['ASSURED'], mark: 0, id: 3813247221,
      original: { src: '10.9.0.1', dst: '10.99.0.1', sport: 45124, dport: 80 }, reply: { src: '10.9.1.1', dst: '10.9.1.2', sport: 8080, dport: 49506 },
    });
    expect(parseConntrackLine('udp      17 29 src=10.9.0.1 dst=10.9.1.1 sport=64271 dport=9999 [UNREPLIED] src=10.9.1.1 dst=10.9.1.2 sport=9999 dport=51738 mark=0 use=1 id=77')).toMatchObject({
      proto: 'udp', flags: ['UNREPLIED'], id: 77, reply: { src: '10.9.1.1', sport: 9999 },
    });
    const icmp = parseConntrackLine('icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=5 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=5 mark=0 use=1 id=99');
    expect(icmp).toMatchObject({ proto: 'icmp', id: 99, original: { src: '10.0.0.1', dst: '10.0.0.2' } });
    expect(icmp?.state).toBeUndefined();
    expect(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.')).toBeUndefined();
  });
  it('derives the endpoint from the DNAT and its node from where the packet arrived DNATed', () => {
    expect(deliveredTo([{ node: 'node1', entries: [parseConntrackLine(CT1)!] }, { node: 'node2', entries: [parseConntrackLine(CT2)!] }]))
      .toEqual({ ip: '10.9.1.1', port: 8080, node: 'node2' });
    expect(deliveredTo([{ node: 'node1', entries: [parseConntrackLine(CT1)!] }])).toEqual({ ip: '10.9.1.1', port: 8080, node: 'node1' });
    expect(deliveredTo([{ node: 'node1', entries: [] }])).toBeUndefined();
  });
});

describe('kernel helpers (pure parts)', () => {
  it('builds a trace table that replaces itself and marks only the flow', () => {
    const text = traceTableText({ family: 'ip', proto: 'tcp', srcPort: 61234, dst: '10.96.0.10', dport: 80 }, { source: true, node: true });
    expect(text.split('\n').slice(0, 3)).toEqual(['add table ip hawser-trace', 'delete table ip hawser-trace', 'table ip hawser-trace {']);
    expect(text).toContain('ip daddr 10.96.0.10 tcp sport 61234 tcp dport 80 tcp flags & (syn | rst) != 0 ip dscp set 0x0d meta nftrace set 1');
    expect(text).toContain('type filter hook prerouting priority -350;');
    expect(text).toContain('ct direction reply ct id @flows tcp flags & (syn | rst) != 0 meta nftrace set 1');
    expect(traceTableText({ family: 'ip', proto: 'udp', srcPort: 1, dst: '10.0.0.1', dport: 53 }, { source: true, node: false })).not.toContain('set flows');
  });
  it('reads the flow ids set and the netlink subscription', () => {
    expect(parseFlowIds('{"nftables": [{"metainfo": {}}, {"set": {"family": "ip", "name": "flows", "table": "hawser-trace", "type": "ct_id", "elem": [3813247221]}}]}')).toEqual([3813247221]);
    expect(parseFlowIds('{"nftables": [{"set": {"name": "flows"}}]}')).toEqual([]);
    const netlink = 'sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n' +
      '00000000b7170e52 12  25782      00000100 0        0        0     2        0        3858991\n00000000a8181849 12  0          00000000 0        0        0     2        0        3858311\n';
    expect(subscribedToTrace(netlink, 25782)).toBe(true);
    expect(subscribedToTrace(netlink, 1)).toBe(false);
  });
});

describe('liveTrace with fake kernel deps', () => {
  const fake = (fail?: 'probe') => {
    const log: string[] = [];
    const deps: LiveDeps = {
      installTraceTable: async (ns, _f, role) => { log.push(`install ${ns} ${role.source ? 'source' : ''}${role.node ? 'node' : ''}`); },
      removeTraceTable: async (ns) => { log.push(`remove ${ns}`); },
      startTraceMonitor: async (ns): Promise<TraceMonitor> => {
        log.push(`monitor ${ns}`);
        return { pid: 1, lines: () => [], stop: async () => { log.push(`stop ${ns}`); return ns === 'n1' ? parseTraceText(CAPTURED) : []; } };
      },
      sendProbe: async (ns, p) => { log.push(`probe ${ns} ${p.srcPort}`); if (fail) throw new Error('boom'); return { kind: 'connected', reply: 'hello' }; },
      traceFlowIds: async (ns) => (ns === 'n1' ? [3813247221] : [447022474]),
      listConntrack: async (f, ns) => [parseConntrackLine(ns === 'n1' ? CT1 : CT2)!].filter((e) => f.ids?.includes(e.id!)),
      listBaseChains: async () => CHAINS,
      settleMs: 0,
      pickPort: () => 45124,
    };
    return { log, deps };
  };
  const spec = { source: { netns: 'pod' }, dst: '10.99.0.1', dport: 80, proto: 'tcp' as const, nodes: [{ name: 'node1', netns: 'n1' }, { name: 'node2', netns: 'n2' }] };

  it('traces, collects and cleans up', async () => {
    const { log, deps } = fake();
    const r = await liveTrace(spec, deps);
    expect(r.probe).toEqual({ srcPort: 45124, ok: true, kind: 'connected', reply: 'hello' });
    expect(r.hops).toHaveLength(6);
    expect(r.delivered).toEqual({ ip: '10.9.1.1', port: 8080, node: 'node2' });
    expect(r.conntrack.map((c) => c.entries.length)).toEqual([1, 1]);
    expect(log).toEqual(['install n1 node', 'install n2 node', 'install pod source', 'monitor n1', 'monitor n2', 'probe pod 45124',
      'stop n1', 'stop n2', 'remove n1', 'remove n2', 'remove pod']);
    const text = renderLive(r);
    expect(text).toContain('delivered to 10.9.1.1:8080 on node2');
    expect(text).toContain('  prerouting: tcp 10.9.0.1:45124 → 10.99.0.1:80 (in vb)');
    expect(text).toContain('     3. demo sep-1: meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080" #8 → accept');
    expect(text).toContain('  conntrack: tcp TIME_WAIT 10.9.0.1:45124 → 10.99.0.1:80, reply 10.9.1.1:8080 → 10.9.1.2:49506 [ASSURED]');
  });
  it('stops monitors and removes tables when the probe fails', async () => {
    const { log, deps } = fake('probe');
    await expect(liveTrace(spec, deps)).rejects.toThrow('boom');
    expect(log.slice(-5)).toEqual(['stop n1', 'stop n2', 'remove n1', 'remove n2', 'remove pod']);
  });
});

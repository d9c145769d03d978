// The harness builds worlds that carry real traffic, reports what the far end saw, and
// leaves nothing behind.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { run } from '../src/kernel/exec.js';
import {
  World, httpProbe, netnsExists, ping, processRunning, sctpProbe, splitHostPort,
  startEchoServer, startSctpServer, sctpMode, tcpProbe, udpProbe, STATE_DIR,
} from './lib/index.js';
import { addNeighbour, getLink } from '../src/kernel/link/index.js';
import { getSysctl } from '../src/kernel/sysctl.js';

t.test('two namespaces over a switch namespace, and a routed third', async (t) => {
  const w = await World.create();
  t.teardown(() => w.close());
  await w.addSwitch('sw');
  await w.addNetns('a');
  await w.addNetns('b');
  await w.addNetns('r');
  await w.addNetns('c');
  await w.plug('a', 'sw', { addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  await w.plug('b', 'sw', { addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  await w.plug('r', 'sw', { addresses: ['10.0.0.254/24'] });
  // c sits behind router r on its own subnet.
  await w.connect('r', 'to-c', 'c', 'eth0');
  await w.addAddress('r', 'to-c', '10.0.1.254/24');
  await w.addAddress('c', 'eth0', '10.0.1.1/24');
  await w.addRoute('c', { dst: 'default', via: '10.0.1.254' });
  await w.addRoute('a', { dst: '10.0.1.0/24', via: '10.0.0.254' });
  await w.enableForwarding('r');
  // A silent address: frames for .99 go out to a MAC nobody has. A permanent neighbour
  // entry keeps the outcome fixed (an unanswered ARP would later turn into EHOSTUNREACH).
  await addNeighbour({ dev: 'eth0', ip: '10.0.0.99', mac: '02:00:00:00:00:99', netns: w.ns('a') });

  t.equal(await getSysctl('net.ipv4.ip_forward', { netns: w.ns('r') }), '1', 'forwarding on in r');
  t.equal(await getSysctl('net.ipv4.ip_forward', { netns: w.ns('a') }), '0', 'and only in r');
  t.equal((await getLink('a', { netns: w.ns('sw') }))?.master, 'br0', 'a plugged into the bridge');

  const server = await startEchoServer(w, 'b', {
    name: 'srv-b',
    listen: [{ proto: 'tcp', port: 8080 }, { proto: 'udp', port: 8081 }, { proto: 'http', port: 8082 }],
  });
  t.ok(processRunning(server.pid), 'server runs');

  t.test('ping', async (t) => {
    t.ok((await ping(w, 'a', '10.0.0.2')).ok, 'a → b');
    t.ok((await ping(w, 'a', 'fd00::2')).ok, 'a → b over IPv6');
    t.ok((await ping(w, 'c', '10.0.0.1')).ok, 'c → a through the router');
    t.notOk((await ping(w, 'a', '10.0.0.99', { timeoutMs: 1000 })).ok, 'nobody at .99');
  });

  t.test('TCP: server name and the client source seen by the server', async (t) => {
    const r = await tcpProbe(w, 'a', '10.0.0.2', 8080);
    t.ok(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    t.equal(r.echo?.name, 'srv-b');
    t.equal(r.echo?.local, '10.0.0.2:8080');
    t.equal(splitHostPort(r.echo!.peer).ip, '10.0.0.1', 'source address preserved on a bridge');
    const fixed = await tcpProbe(w, 'a', '10.0.0.2', 8080, { bindPort: 40123 });
    t.equal(fixed.ok && fixed.echo?.peer, '10.0.0.1:40123', 'source port as bound');
    const v6 = await tcpProbe(w, 'a', 'fd00::2', 8080);
    t.equal(v6.ok && v6.echo?.peer.startsWith('[fd00::1]:'), true, 'IPv6 peer');
    const routed = await tcpProbe(w, 'c', '10.0.0.2', 8080, { timeoutMs: 1000 });
    t.notOk(routed.ok, 'b has no route back to c: no answer');
    t.equal(!routed.ok && routed.kind, 'timeout');
  });

  t.test('UDP', async (t) => {
    const r = await udpProbe(w, 'a', '10.0.0.2', 8081, { bindPort: 40124 });
    t.equal(r.ok && r.echo?.peer, '10.0.0.1:40124');
    t.equal(r.ok && r.echo?.proto, 'udp');
    const closed = await udpProbe(w, 'a', '10.0.0.2', 9999);
    t.equal(!closed.ok && closed.kind, 'refused', 'closed UDP port: ICMP port unreachable');
  });

  t.test('HTTP', async (t) => {
    const r = await httpProbe(w, 'a', '10.0.0.2', 8082, { path: '/hello' });
    t.equal(r.ok && r.status, 200);
    t.match(r.ok && r.echo, { name: 'srv-b', path: '/hello', proto: 'http' });
    t.equal(r.ok && splitHostPort(r.echo!.peer).ip, '10.0.0.1');
  });

  t.test('errors come back classified, never as a hang', async (t) => {
    const refused = await tcpProbe(w, 'a', '10.0.0.2', 9999);
    t.equal(!refused.ok && refused.kind, 'refused', 'closed TCP port: RST');
    const silent = await tcpProbe(w, 'a', '10.0.0.99', 80, { timeoutMs: 300 });
    t.equal(!silent.ok && silent.kind, 'timeout', 'no host: deadline');
    const http = await httpProbe(w, 'a', '10.0.0.2', 9998);
    t.equal(!http.ok && http.kind, 'refused');
  });

  t.test('SCTP', async (t) => {
    const mode = await sctpMode(w, 'a');
    t.not(mode, 'none', 'kernel SCTP or raw SCTP (python3) available');
    if (mode === 'none') return;
    t.comment(`SCTP mode: ${mode}`);
    const before = await sctpProbe(w, 'a', '10.0.0.2', 8083, { timeoutMs: 1000 });
    t.notOk(before.ok, 'nothing listening yet');
    const srv = await startSctpServer(w, 'b', { name: 'srv-b', ports: [8083] });
    const r = await sctpProbe(w, 'a', '10.0.0.2', 8083);
    t.ok(r.ok, JSON.stringify(r));
    t.match(r.ok && r.echo, { name: 'srv-b', proto: 'sctp', local: '10.0.0.2:8083' });
    t.equal(r.ok && splitHostPort(r.echo!.peer).ip, '10.0.0.1', 'source seen by the server');
    const bound = await sctpProbe(w, 'a', '10.0.0.2', 8083, { bindPort: 40125 });
    t.equal(bound.ok && bound.echo?.peer, '10.0.0.1:40125', 'source port as bound');
    const other = await sctpProbe(w, 'a', '10.0.0.2', 8084, { timeoutMs: 500 });
    t.notOk(other.ok, 'a port the server does not serve gets no INIT-ACK');
    await srv.stop();
  });

  t.test('the harness refuses namespaces that are not its own', async (t) => {
    await t.rejects(w.addAddress('nope', 'eth0', '10.9.9.9/32'), /no namespace "nope"/);
    await t.rejects(w.exec('nope', ['true']), /no namespace/);
    t.throws(() => w.spawn('nope', ['true']), /no namespace/);
    await t.rejects(tcpProbe(w, 'nope', '10.0.0.2', 8080), /no namespace/);
  });
});

t.test('building and closing a world leaves the root namespace as it was', async (t) => {
  // Read-only look at our own (root) namespace: links, addresses, routes, forwarding.
  const snapshot = async () => {
    const [links, addrs, routes, routes6] = await Promise.all([
      run(['ip', '-j', 'link', 'show']), run(['ip', '-j', 'addr', 'show']),
      run(['ip', '-j', 'route', 'show', 'table', 'all']), run(['ip', '-j', '-6', 'route', 'show', 'table', 'all']),
    ]);
    const names = (JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
    const addresses = (JSON.parse(addrs.stdout) as { ifname: string; addr_info: { local: string }[] }[])
      .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}`)).sort();
    const rts = [...JSON.parse(routes.stdout) as { dst: string; dev?: string }[], ...JSON.parse(routes6.stdout) as { dst: string; dev?: string }[]]
      .map((r) => `${r.dst} ${r.dev ?? ''}`).sort();
    const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    return { names, addresses, routes: rts, forwarding };
  };
  const before = await snapshot();
  const w = await World.create();
  await w.addSwitch('sw');
  await w.addNetns('a');
  await w.plug('a', 'sw', { addresses: ['10.0.6.1/24'] });
  await w.addRoute('a', { dst: 'default', via: '10.0.6.254' });
  await w.enableForwarding('a');
  const during = await snapshot();
  await w.close();
  t.same(during, before, 'nothing of the world appears in the root namespace');
  t.same(await snapshot(), before, 'nor after close');
});

t.test('close() removes namespaces, processes and the state file', async (t) => {
  const w = await World.create();
  await w.addNetns('x');
  await w.addNetns('y');
  await w.connect('x', 'eth0', 'y', 'eth0');
  await w.addAddress('x', 'eth0', '10.0.5.1/24');
  await w.addAddress('y', 'eth0', '10.0.5.2/24');
  const server = await startEchoServer(w, 'y', { name: 'y', listen: [{ proto: 'tcp', port: 80 }] });
  t.ok((await tcpProbe(w, 'x', '10.0.5.2', 80)).ok);
  const names = [...w.namespaces().values()];
  t.ok(names.every(netnsExists));
  t.ok(existsSync(`${STATE_DIR}/${w.prefix}.json`));
  await w.close();
  t.same(names.filter(netnsExists), [], 'namespaces gone');
  t.notOk(processRunning(server.pid), 'server gone');
  t.notOk(existsSync(`${STATE_DIR}/${w.prefix}.json`), 'state file gone');
  await t.rejects(w.addNetns('z'), /closed/);
});

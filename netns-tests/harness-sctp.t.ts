// SCTP probes through the kernel paths service and policy tests rely on: conntrack,
// nftables DNAT of an SCTP port, and reject (→ 'refused') vs drop (→ 'timeout').
import t from 'tap';
import { World, sctpMode, sctpProbe, splitHostPort, startSctpServer } from './lib/index.js';

const w = await World.create();
t.teardown(() => w.close());
await w.addSwitch('sw');
await w.addNetns('client');
await w.addNetns('server');
await w.plug('client', 'sw', { addresses: ['10.0.0.1/24'] });
await w.plug('server', 'sw', { addresses: ['10.0.0.2/24'] });
await w.exec('server', ['nft', '-f', '-'], {
  input: `table ip hwtest {
  chain pre {
    type nat hook prerouting priority -100;
    sctp dport 9080 dnat to 10.0.0.2:80
  }
  chain input {
    type filter hook input priority 0;
    ct state invalid counter drop
    sctp dport 82 reject
    sctp dport 83 drop
  }
}
`,
});
const mode = await sctpMode(w, 'client');
t.comment(`SCTP mode: ${mode}`);
if (mode === 'none') {
  t.fail('neither kernel SCTP nor python3 for raw SCTP');
} else {
  await startSctpServer(w, 'server', { name: 'srv', ports: [80, 82, 83] });

  t.test('DNAT of an SCTP port reaches the backend, the reply is un-NATed', async (t) => {
    const r = await sctpProbe(w, 'client', '10.0.0.2', 9080);
    t.ok(r.ok, JSON.stringify(r));
    t.equal(r.ok && r.echo?.local, '10.0.0.2:80', 'server saw the translated destination');
    t.equal(r.ok && splitHostPort(r.echo!.peer).ip, '10.0.0.1', 'and the real client');
    const ct = await w.exec('server', ['conntrack', '-L', '-p', 'sctp'], { allowFailure: true });
    t.match(ct.stdout, /dport=9080 src=10\.0\.0\.2 dst=10\.0\.0\.1 sport=80/, 'conntrack holds the NATed association');
  });

  t.test('reject answers, drop stays silent', async (t) => {
    const rejected = await sctpProbe(w, 'client', '10.0.0.2', 82, { timeoutMs: 1000 });
    t.equal(!rejected.ok && rejected.kind, 'refused');
    const dropped = await sctpProbe(w, 'client', '10.0.0.2', 83, { timeoutMs: 500 });
    t.equal(!dropped.ok && dropped.kind, 'timeout');
    const ok = await sctpProbe(w, 'client', '10.0.0.2', 80);
    t.ok(ok.ok, 'the same server answers on an unfiltered port');
  });
}

// The rulesets hawser's compilers actually produce (service proxy, NetworkPolicy), loaded
// into the real kernel and into the fake: the fake's dump must equal the kernel's, so unit
// tests that assert on the fake see what the kernel would hold. A mismatch means either the
// canonicaliser misses a rule form the compilers emit, or a compiler emits something the
// kernel rewrites or refuses.
import t from 'tap';
import { World } from './lib/index.js';
import { FakeNft } from '../src/kernel/nft/fake.js';
import { KernelNft } from '../src/kernel/nft/kernel.js';
import { NftError } from '../src/kernel/nft/errors.js';
import { addContent } from '../src/kernel/nft/sync.js';
import { Transaction } from '../src/kernel/nft/transaction.js';
import type { Ruleset } from '../src/kernel/nft/types.js';
import { buildModel, compileProxy } from '../proxy/index.js';
import { NODE, slice, svc } from '../proxy/fixtures.js';
import { compilePolicy } from '../proxy/policy/compile.js';
import { UPSTREAM_CASES, EXTRA_CASES } from '../proxy/policy/e2e/cases.js';
import { Cluster } from '../proxy/policy/e2e/world.js';
import { CNI_TABLE, masqueradeTransaction } from '../cni/masquerade.js';

const world = await World.create();
t.teardown(() => world.close());

function proxyRulesets(): Array<[string, Ruleset]> {
  const c = (services: Parameters<typeof buildModel>[0], slices: Parameters<typeof buildModel>[1]): Ruleset =>
    compileProxy(buildModel(services, slices, NODE), NODE);
  const eps = [slice('web', ['10.244.1.5', '10.244.2.6', '10.244.2.7'])];
  return [
    ['ClusterIP, random over three endpoints', c([svc('web')], eps)],
    ['NodePort + LoadBalancer, source ranges, externalIPs, ClientIP affinity', c(
      [svc('web', { type: 'LoadBalancer', lbIPs: ['192.168.56.200'], sourceRanges: ['203.0.113.0/24'], externalIPs: ['192.168.56.99'], affinity: 60, ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
      [slice('web', ['10.244.1.5', '10.244.2.6'])])],
    ['SCTP NodePort, Local, sourcehash; a Service without endpoints', c(
      [svc('loc', { clusterIP: '10.96.0.12', type: 'NodePort', etp: 'Local', scheduler: 'sourcehash', ports: [{ name: 'sctp', port: 9, protocol: 'SCTP', nodePort: 30009 }] }), svc('empty', { clusterIP: '10.96.0.13' })],
      [slice('loc', [{ ip: '10.244.0.5', node: 'node-a' }, '10.244.2.6', { ip: '10.244.0.9', node: 'node-a' }], [{ name: 'sctp', port: 9999, protocol: 'SCTP' }])])],
    ['roundrobin', c([svc('web', { scheduler: 'roundrobin' })], eps)],
    ['maglev (jhash into a 251-entry verdict map)', c([svc('web', { scheduler: 'maglev' })], eps)],
  ];
}

function policyRulesets(): Array<[string, Ruleset]> {
  return [...UPSTREAM_CASES, ...EXTRA_CASES].map((tc) => {
    const cluster = new Cluster();
    for (const s of tc.steps) s.change(cluster);
    return [`policy: ${tc.name}`, compilePolicy({ ...cluster.world(), nodeName: 'node-1' })] as [string, Ruleset];
  });
}

async function load(ns: string, name: string, rs: Ruleset): Promise<void> {
  await t.test(name, async (t) => {
    const kernel = new KernelNft({ netns: ns });
    const fake = new FakeNft();
    const tx = addContent(new Transaction(rs.family, rs.name), rs);
    const errors: string[] = [];
    for (const b of [kernel, fake]) {
      await b.apply(new Transaction(rs.family, rs.name).destroy({ kind: 'table' })).catch((e: NftError) => errors.push(e.message));
      await b.apply(tx).catch((e: NftError) => errors.push(`${b === kernel ? 'kernel' : 'fake'}: ${e.code} ${e.message}`));
    }
    t.same(errors, [], 'both load it');
    t.equal(await fake.dump(rs.family, rs.name), await kernel.dump(rs.family, rs.name), 'fake dump equals kernel dump');
  });
}

const proxyNs = await world.addNetns('nftproxy');
const policyNs = await world.addNetns('nftpolicy');
for (const [name, rs] of proxyRulesets()) await load(proxyNs, `proxy: ${name}`, rs);
for (const [name, rs] of policyRulesets()) await load(policyNs, name, rs);

t.test('cni: the masquerade transaction, applied twice (repeated ADD), both families', async (t) => {
  const ns = await world.addNetns('nftcni');
  const kernel = new KernelNft({ netns: ns });
  const fake = new FakeNft();
  for (const [pod, cluster] of [['10.244.1.0/24', '10.244.0.0/16'], ['fd00:244:1::/64', 'fd00:244::/56']] as const) {
    const family = pod.includes(':') ? 'ip6' : 'ip';
    for (let i = 0; i < 2; i++) {
      await kernel.apply(masqueradeTransaction(pod, cluster));
      await fake.apply(masqueradeTransaction(pod, cluster));
    }
    const k = await kernel.dump(family, CNI_TABLE);
    t.match(k, /masquerade/);
    t.equal(await fake.dump(family, CNI_TABLE), k, `${family}: fake dump equals kernel dump`);
  }
});

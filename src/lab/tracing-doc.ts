// docs/tracing.md is generated: a small scenario in a 2-node lab, then the real output of
// `hawser trace` (text, picture, --why, --live) pasted into the page. netns-tests/
// docs-tracing.t.ts regenerates it in CI and fails when the committed page no longer
// matches (addresses and hashes aside), so the page cannot go stale.
//   node dist/src/lab/tracing-doc.js [--write docs/tracing.md]   (root; builds and removes its lab)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labUp } from './up.js';
import { labDown } from './down.js';
import { labApi } from './ops.js';
import { waitFor } from './wait.js';
import { traceOutput } from '../trace/command.js';

const NS = '/api/v1/namespaces/default';

interface Pod { status?: { phase?: string; podIP?: string } }

const echo = { name: 'echo', image: 'hawser/echo', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } };

/** The traces the page shows: [title, explanation, hawser trace arguments]. */
const TRACES: Array<[string, string, string[]]> = [
  ['Pod to pod on one node', 'Same bridge: the packet is switched on `hawser0`; with br_netfilter the node\'s forward hook still sees it, so NetworkPolicy applies.', ['--from', 'pod default/client', '--to', 'pod default/web-1:8080']],
  ['Pod to pod across nodes (host-gw)', 'The node routes the other node\'s pod CIDR via that node\'s underlay address; the source is kept.', ['--from', 'pod default/client', '--to', 'pod default/web-2:8080']],
  ['Pod to a ClusterIP', 'Every endpoint the random scheduler can pick, with its probability; DNAT on the client\'s node, no masquerade (the source is inside the cluster CIDR).', ['--from', 'pod default/client', '--to', 'svc default/web']],
  ['External client to a NodePort (externalTrafficPolicy Cluster)', 'Any endpoint; the source is masqueraded to the node so that replies come back through it.', ['--from', 'external', '--to', '192.168.56.10:30080']],
  ['External client to a NodePort (externalTrafficPolicy Local)', 'Only endpoints on the receiving node, and the client\'s source address is kept. node2 has one; node1 has none and drops.', ['--from', 'external', '--to', '192.168.56.11:30081']],
  ['… and on a node without a local endpoint', '', ['--from', 'external', '--to', '192.168.56.10:30081']],
];

/** `hawser trace --lab LAB ARGS…`, its output as the command prints it. */
async function trace(lab: string, args: string[]): Promise<string> {
  const o: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const k = args[i]!.replace(/^--/, '');
    if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) o[k] = args[++i]!;
    else o[k] = true;
  }
  const r = await traceOutput({ from: String(o.from), to: String(o.to), output: typeof o.output === 'string' ? o.output : 'text', lab, agentSocket: [], externalIp: '192.168.56.2', why: o.why === true, live: o.live === true });
  return r.stdout.trimEnd();
}

async function scenario(lab: string): Promise<void> {
  const api = labApi((await import('./ops.js')).openLab(lab).plan);
  // One pod at a time, each Running before the next: the same addresses on every run.
  const pods: Array<[string, string, Record<string, string>]> = [['client', 'node1', { app: 'client' }], ['web-1', 'node1', { app: 'web' }], ['web-2', 'node2', { app: 'web', instance: 'two' }]];
  for (const [name, node, labels] of pods) {
    await api.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName: node, containers: [echo] } });
    await waitFor(`${name} running`, async () => (await api.get<Pod>(`${NS}/pods/${name}`)).status?.phase === 'Running', 60_000);
  }
  await api.post(`${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', clusterIP: '10.96.0.80', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }] } });
  await api.post(`${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-local' }, spec: { type: 'NodePort', clusterIP: '10.96.0.81', externalTrafficPolicy: 'Local', selector: { app: 'web', instance: 'two' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30081 }] } });
  // The agents program within about a second of the EndpointSlices; the tracer reads what they applied.
  await waitFor('web programmed on node1', async () => (await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--output', 'json'])).includes('"verdict": "delivered"'), 30_000);
  await new Promise((r) => setTimeout(r, 2000));
}

export async function generateTracingDoc(): Promise<string> {
  const lab = `td${[...randomBytes(4)].map((b) => (b % 36).toString(36)).join('')}`;
  try {
    await labUp({ name: lab, nodes: 2 });
    await scenario(lab);
    const out: string[] = [
      '# Tracing packets: `hawser trace`',
      '',
      '<!-- Generated by `node dist/src/lab/tracing-doc.js --write docs/tracing.md` against a live 2-node lab; netns-tests/docs-tracing.t.ts regenerates it in CI and fails when this page is stale. Do not edit by hand. -->',
      '',
      '`hawser trace` walks one packet through the live cluster: the objects come from the API, and each node\'s',
      'applied nftables tables (as `nft` lists them), addresses, routes and listening sockets from that node\'s agent',
      '(`GET /v1/trace-state` on its `--trace-socket`). It follows every load-balancing branch with its probability,',
      'names each rule that matched (table, chain, position, rule text, comment), the route to the next node, and',
      'where the packet is delivered or dropped. `--why` keeps only the failing branches and the policy responsible;',
      '`--live` sends one real probe with nftrace on for that flow only and compares the kernel\'s verdict with the',
      'static one; `--output json|html|mermaid` for tools and pictures. See the [architecture](architecture.md) for the',
      'tables and hooks, and [operations](operations.md) for troubleshooting by symptom.',
      '',
      '```',
      'hawser trace --from <pod NS/NAME | node NAME | external | IP> --to <svc NS/NAME[:PORT] | pod NS/NAME[:PORT] | IP:PORT>',
      '             [--proto tcp|udp|sctp] [--output text|json|html|mermaid] [--why] [--live]',
      '             [--lab NAME | --kubeconfig F --agent-socket NODE=PATH …]',
      '```',
      '',
      'The scenario: a 2-node lab (`hawser lab up --nodes 2`), pod `client` and `web-1` on node1, `web-2` on node2,',
      'Service `web` (ClusterIP 10.96.0.80, NodePort 30080, both pods) and `web-local` (NodePort 30081, externalTrafficPolicy Local, only `web-2`).',
    ];
    for (const [title, why, args] of TRACES) {
      out.push('', `## ${title}`, '');
      if (why) out.push(why, '');
      out.push('```', `$ hawser trace ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`, await trace(lab, args), '```');
    }
    out.push('', '## The picture', '', '`--output mermaid` (or `--output html` for a page with the same diagram and the hop list):', '', '```mermaid', await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--output', 'mermaid']), '```');
    // A NetworkPolicy that admits only role=frontend: the client is not.
    const api = labApi((await import('./ops.js')).openLab(lab).plan);
    await api.post('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-from-frontend' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }] }] } });
    await waitFor('policy programmed', async () => !(await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--output', 'json'])).includes('"verdict": "delivered"'), 30_000);
    out.push('', '## A connection denied by a NetworkPolicy', '', 'Policy `web-from-frontend` selects the web pods and admits only pods labelled `role=frontend`. The drop happens on the endpoint\'s node, after the DNAT, in its ingress chain:', '');
    out.push('```', '$ hawser trace --from "pod default/client" --to "svc default/web" --why', await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--why']), '```');
    await api.delete('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/web-from-frontend');
    await waitFor('policy removed', async () => (await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--output', 'json'])).includes('"verdict": "delivered"'), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const live = await trace(lab, ['--from', 'pod default/client', '--to', 'svc default/web', '--live']);
    out.push('', '## Live: the kernel\'s own trace', '', 'With `--live` the tracer adds a temporary table `hawser-trace` on every node that marks only this flow (DSCP 0x0d on the probe\'s first packet, `meta nftrace set 1`), runs `nft monitor trace` on each node, sends one real connection from the source pod, reads conntrack, removes the tables again, and compares:', '');
    out.push('```', '$ hawser trace --from "pod default/client" --to "svc default/web" --live', live.slice(live.indexOf('live probe:')), '```', '');
    return out.join('\n');
  } finally {
    await labDown({ name: lab });
  }
}

/** What must stay equal between the committed page and a fresh run: addresses, hashes, counters, ports and the live section's random choices aside. */
export function normaliseTracingDoc(text: string): string {
  const cut = text.indexOf("## Live: the kernel's own trace");
  const body = cut >= 0 ? text.slice(0, cut) : text;
  return body
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, 'IP')
    .replace(/\b[0-9a-f]{8}\b/g, 'HASH')
    .replace(/packets \d+ bytes \d+/g, 'packets N bytes N')
    .replace(/web-[12]/g, 'web-N')
    .replace(/\d+(\.\d+)?%/g, 'P%');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--write');
  const doc = await generateTracingDoc();
  if (i > 0) writeFileSync(process.argv[i + 1]!, doc);
  else process.stdout.write(doc);
}

// `hawser lab up`: build the network, start the control plane and the kubeconfig
// forwarders, install CNI on every node, start agents and kubelets, wait until every
// node is Ready. Any failure tears the half-built lab down again (down.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { run } from '../kernel/exec.js';
import { spawnDetached, pidAlive } from '../kernel/spawn-in-netns.js';
import { hasCommand, hawserArgv } from '../kubelet/self.js';
import { Rest } from '../kubelet/rest.js';
import { referenceConflist } from './cni-config.js';
import { apiserverURL, controlPlaneComponents, labPaths, nodeComponents, nodePaths, nodeTokenFile, type ComponentSpec } from './components.js';
import { hostKubeconfig } from './kubeconfig.js';
import { applyLabNetwork, labNamespaces, type Progress } from './network.js';
import { planLab, type LabNode, type LabOptions, type LabPlan } from './plan.js';
import { readLabState, writeLabState, type CniMode, type LabState } from './state.js';
import { labDown } from './down.js';
import { waitFor } from './wait.js';

export interface UpOptions extends LabOptions {
  cni?: CniMode | 'auto';
  progress?: Progress;
  /** How long to wait for every node to be Ready (ms). */
  readyTimeoutMs?: number;
  /** Aborted by an interrupt whose handler tears down itself: no second teardown here. */
  signal?: AbortSignal;
}

export interface UpResult { plan: LabPlan; state: LabState }

export async function labUp(opts: UpOptions): Promise<UpResult> {
  const progress = opts.progress ?? (() => {});
  const plan = planLab(opts);
  if (readLabState(opts.name, opts.stateRoot) || (await labNamespaces(opts.name)).length > 0) {
    throw new Error(`lab ${opts.name} exists already (hawser lab down --name ${opts.name} first)`);
  }
  if (!hasCommand('apiserver')) throw new Error('`hawser apiserver` is not built: a lab needs its control plane');
  const cni: CniMode = opts.cni === 'hawser' || opts.cni === 'reference' ? opts.cni : hasCommand('cni') ? 'hawser' : 'reference';
  const state: LabState = {
    options: { name: opts.name, nodes: opts.nodes, routing: plan.routing, storage: plan.storage },
    cni, createdAt: new Date().toISOString(), processes: [],
  };
  const paths = labPaths(plan);
  try {
    for (const d of [plan.stateDir, paths.logDir, paths.apiserverDir, ...plan.nodes.map((n) => n.stateDir)]) mkdirSync(d, { recursive: true, mode: 0o700 });
    writeLabState(plan, state);
    await applyLabNetwork(plan, progress);
    // Each node runs as itself (system:node:<name>), as kubelets do with their client
    // certificates: RBAC and NodeRestriction then hold the lab's nodes to their own objects.
    const tokens = Object.fromEntries(plan.nodes.map((n) => [n.nodeName, randomBytes(24).toString('hex')]));
    writeFileSync(paths.tokenFile, nodeTokenFile(plan, tokens), { mode: 0o600 });

    for (const spec of controlPlaneComponents(plan)) {
      await start(plan, state, spec, progress);
      if (spec.component === 'apiserver') {
        await waitFor(`${paths.adminKubeconfig}`, () => existsSync(paths.adminKubeconfig), 30_000, () => processDied(state, 'apiserver'));
      }
    }
    await waitFor('the kubeconfig forwarder', () => existsSync(paths.hostPortFile), 10_000, () => processDied(state, 'forward-host'));
    state.hostPort = Number(readFileSync(paths.hostPortFile, 'utf8').trim());
    const admin = readFileSync(paths.adminKubeconfig, 'utf8');
    writeFileSync(paths.hostKubeconfig, hostKubeconfig(admin, state.hostPort, plan.name), { mode: 0o600 });
    writeFileSync(paths.nodeKubeconfig, retarget(admin, apiserverURL(plan)), { mode: 0o600 });
    for (const node of plan.nodes) {
      writeFileSync(nodePaths(plan, node, cni).kubeconfig, nodeKubeconfig(admin, apiserverURL(plan), node.nodeName, tokens[node.nodeName]!), { mode: 0o600 });
    }
    state.kubeconfig = paths.hostKubeconfig;
    writeLabState(plan, state);
    const api = Rest.fromFile(paths.hostKubeconfig);
    await waitFor('apiserver /readyz', async () => (await api.request('GET', '/readyz').then(() => true, () => false)), 30_000,
      () => processDied(state, 'apiserver'));
    progress(`apiserver ready at ${apiserverURL(plan)} (from this machine: https://127.0.0.1:${state.hostPort})`);

    const withAgent = hasCommand('agent');
    if (!withAgent) progress('hawser agent is not built: nodes get static routes to each other\'s pod CIDRs');
    for (const node of plan.nodes) {
      await installCni(plan, node, cni, withAgent, progress);
      for (const spec of nodeComponents(plan, node, { cni, withAgent })) await start(plan, state, spec, progress);
    }
    if (!withAgent) await staticPodRoutes(plan);

    await waitFor(`${plan.nodes.length} Ready nodes`, async () => (await readyNodes(api)) >= plan.nodes.length,
      opts.readyTimeoutMs ?? 60_000, () => state.processes.find((p) => !pidAlive(p.pid))?.component);
    progress(`${plan.nodes.length} nodes Ready`);
    if (withAgent) await ensurePodCIDRs(api, plan, progress);
    return { plan, state };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const kept = `${plan.stateDir}.failed-logs`;
    progress(`lab up failed: ${(err as Error).message}; tearing down (logs kept in ${kept})`);
    await labDown({ name: opts.name, stateRoot: opts.stateRoot, keepLogs: kept }).catch(() => {});
    throw err;
  }
}

async function start(plan: LabPlan, state: LabState, spec: ComponentSpec, progress: Progress): Promise<void> {
  const argv = spec.external ? spec.args : hawserArgv(...spec.args);
  const started = await spawnDetached({ netns: spec.netns, argv, logFile: spec.logFile, env: { ...process.env, HAWSER_LAB: plan.name } });
  state.processes.push({ component: spec.component, node: spec.node, netns: spec.netns, pid: started.pid, argv, logFile: spec.logFile });
  writeLabState(plan, state);
  progress(`started ${spec.component}${spec.node ? ` on ${spec.node}` : ''} (pid ${started.pid}${spec.netns ? `, netns ${spec.netns}` : ', root netns'})`);
}

/** A process that should be running but is not: the reason to stop waiting. */
function processDied(state: LabState, component: string): string | undefined {
  const p = state.processes.find((x) => x.component === component);
  return p && !pidAlive(p.pid) ? `${component} exited (log: ${p.logFile})` : undefined;
}

/** The admin kubeconfig's cluster (server, CA) with a node's own token as the only user. */
function nodeKubeconfig(adminYaml: string, server: string, nodeName: string, token: string): string {
  const doc = parse(adminYaml) as { clusters?: { name: string; cluster: Record<string, unknown> }[] };
  const cluster = { ...(doc.clusters?.[0]?.cluster ?? {}), server };
  const user = `system:node:${nodeName}`;
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'lab', cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'lab', user } }],
    'current-context': user,
  });
}

function retarget(adminYaml: string, server: string): string {
  const doc = parse(adminYaml) as { clusters?: { cluster: { server?: string } }[] };
  for (const c of doc.clusters ?? []) c.cluster.server = server;
  return stringify(doc);
}

async function installCni(plan: LabPlan, node: LabNode, cni: CniMode, withAgent: boolean, progress: Progress): Promise<void> {
  const np = nodePaths(plan, node, cni);
  for (const d of [np.cniConfDir, np.cniDataDir, np.kubeletDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  if (cni === 'reference') {
    writeFileSync(`${np.cniConfDir}/10-hawser-lab.conflist`, referenceConflist(node.staticPodCIDR, `${np.cniDataDir}/ipam`));
    progress(`${node.nodeName}: reference CNI plugins (bridge + host-local), pod CIDR ${node.staticPodCIDR}`);
    return;
  }
  mkdirSync(np.cniBinDir, { recursive: true, mode: 0o755 });
  // With an agent the node's pod CIDR comes from the Node object (controller-assigned)
  // through the agent's file; without one the lab's static CIDR is written in the config.
  const cidr = withAgent ? ['--pod-cidr-file', np.podCIDRFile] : ['--pod-cidr', node.staticPodCIDR];
  // With an agent, the thin client hands each call to the agent's socket (no Node start per
  // pod) and falls back to the Node plugin when the agent is down — as a real node runs it.
  const thin = withAgent ? ['--thin', '--socket', np.cniSocket] : [];
  await run(hawserArgv('cni', 'install', '--bin-dir', np.cniBinDir, '--conf-dir', np.cniConfDir, '--data-dir', np.cniDataDir, ...cidr, ...thin));
  progress(`${node.nodeName}: hawser CNI plugin installed in ${np.cniBinDir}`);
}

/** host-gw routes between nodes, the agent's job when it exists. */
async function staticPodRoutes(plan: LabPlan): Promise<void> {
  for (const node of plan.nodes) {
    const cmds = plan.nodes.filter((o) => o !== node).map((o) => ['ip', 'route', 'replace', o.staticPodCIDR, 'via', o.ip, 'dev', node.dev]);
    for (const c of cmds) await run(c, { netns: node.netns });
  }
}

/**
 * Pod CIDRs come from the node-ipam controller. When none shows up, the lab assigns the
 * plan's CIDRs to the Node objects itself — a cluster with --allocate-node-cidrs=false
 * whose admin sets spec.podCIDR — and says so. A controller started later keeps them
 * (upstream's range allocator occupies CIDRs already set on nodes).
 */
async function ensurePodCIDRs(api: Rest, plan: LabPlan, progress: Progress): Promise<void> {
  const missing = async () => (await api.get<NodeList>('/api/v1/nodes')).items.filter((n) => !n.spec?.podCIDR).map((n) => n.metadata.name);
  try {
    await waitFor('pod CIDRs from the node-ipam controller', async () => (await missing()).length === 0, 5000);
    return;
  } catch { /* not assigned: fall through */ }
  const names = await missing();
  for (const node of plan.nodes.filter((n) => names.includes(n.nodeName))) {
    await api.patch(`/api/v1/nodes/${node.nodeName}`, { spec: { podCIDR: node.staticPodCIDR, podCIDRs: [node.staticPodCIDR] } });
  }
  progress(`no node-ipam controller assigned pod CIDRs: set them on the Nodes (${plan.nodes.map((n) => `${n.nodeName} ${n.staticPodCIDR}`).join(', ')})`);
}

interface NodeList { items: { metadata: { name: string }; spec?: { podCIDR?: string }; status?: { conditions?: { type: string; status: string }[] } }[] }

export async function readyNodes(api: Rest): Promise<number> {
  try {
    const list = await api.get<NodeList>('/api/v1/nodes');
    return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  } catch {
    return 0;
  }
}

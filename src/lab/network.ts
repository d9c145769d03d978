// Turning a LabPlan's network part into kernel state, and removing it. Everything is
// created inside the lab's own namespaces: each veth end is born in the namespace it
// belongs to, so nothing ever appears in the machine's root namespace.
import { createNetns, deleteNetns, listNetns } from '../kernel/netns/namespace.js';
import { createBridge, createVethPair, ipBatch } from '../kernel/link/index.js';
import { setSysctl } from '../kernel/sysctl.js';
import { netnsPids, terminate } from '../kernel/spawn-in-netns.js';
import { labPrefix, type LabPlan } from './plan.js';

export type Progress = (msg: string) => void;

/** Build namespaces, the underlay switch, every member's link, addresses, routes, sysctls. */
export async function applyLabNetwork(plan: LabPlan, progress: Progress = () => {}): Promise<void> {
  progress(`namespaces: ${plan.namespaces.join(' ')}`);
  for (const ns of plan.namespaces) await createNetns(ns);
  await createBridge(plan.underlay.bridge, { netns: plan.underlay.netns });
  for (const l of plan.links) {
    await createVethPair({ name: l.name, netns: l.netns, peerName: l.peerName, peerNetns: l.peerNetns });
  }
  // The underlay ports: enslave and bring up in one ip process.
  await ipBatch(plan.links.flatMap((l) => [
    ['link', 'set', 'dev', l.peerName, 'master', l.master],
    ['link', 'set', 'dev', l.peerName, 'up'],
  ]), { netns: plan.underlay.netns });
  for (const ns of plan.namespaces.slice(1)) {
    const cmds: string[][] = [];
    for (const a of plan.addresses.filter((x) => x.netns === ns)) {
      cmds.push(['addr', 'add', a.cidr, 'dev', a.dev], ['link', 'set', 'dev', a.dev, 'up']);
    }
    for (const r of plan.routes.filter((x) => x.netns === ns)) cmds.push(['route', 'add', r.dst, 'via', r.via, 'dev', r.dev]);
    await ipBatch(cmds, { netns: ns });
  }
  for (const s of plan.sysctls) await setSysctl(s.key, s.value, { netns: s.netns });
  progress(`underlay ${plan.underlay.cidr}: client ${plan.client.ip}, control plane ${plan.controlPlane.ip}, ` +
    `nodes ${plan.nodes.map((n) => n.ip).join(', ')}`);
}

/** Every namespace of a lab that exists now (pods' sandboxes included), by name prefix. */
export async function labNamespaces(labName: string): Promise<string[]> {
  const prefix = labPrefix(labName);
  return (await listNetns()).filter((n) => n.startsWith(prefix));
}

/**
 * Stop every process living in the lab's namespaces and delete the namespaces. Works
 * from names alone, so it also cleans up after a crashed `lab up` or a lost state dir.
 * Pods first (their processes, then sandboxes), nodes and the rest after, the underlay
 * last (deleting a namespace deletes the veth ends in it and so their peers).
 */
export async function sweepLabNamespaces(labName: string, graceMs = 3000): Promise<string[]> {
  const all = await labNamespaces(labName);
  const order = (n: string) => (n.includes('-p-') ? 0 : n.endsWith('-ul') ? 2 : 1);
  const pids = (await Promise.all(all.map(netnsPids))).flat();
  await terminate([...new Set(pids)], graceMs);
  for (const ns of [...all].sort((a, b) => order(a) - order(b))) await deleteNetns(ns);
  return all;
}

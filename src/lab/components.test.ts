import { describe, expect, it } from 'vitest';
import { controlPlaneComponents, labPaths, nodeComponents, nodePaths, nodeTokenFile } from './components.js';
import { isLabForwarder } from './down.js';
import { planLab } from './plan.js';

describe('lab components', () => {
  const plan = planLab({ name: 'lab', nodes: 2 });

  it('starts the apiserver on the control-plane address with the cluster ranges, then the two forwarders', () => {
    const cp = controlPlaneComponents(plan);
    expect(cp.map((c) => c.component)).toEqual(['apiserver', 'forward-cp', 'forward-host']);
    expect(cp[0]!.netns).toBe('hl-lab-cp');
    expect(cp[0]!.args).toEqual(expect.arrayContaining(['--listen', '192.168.56.5:6443', '--storage', 'sqlite', '--service-cidr', '10.96.0.0/16']));
    expect(cp[1]!.args).toContain('tcp:192.168.56.5:6443');
    expect(cp[2]!.netns).toBeUndefined();
    expect(cp[2]!.args).toEqual(expect.arrayContaining(['tcp:127.0.0.1:0', `unix:${labPaths(plan).apiserverSocket}`]));
  });

  it('runs etcd on the control plane loopback when asked', () => {
    const cp = controlPlaneComponents(planLab({ name: 'lab', nodes: 1, storage: 'etcd' }));
    expect(cp[0]).toMatchObject({ component: 'etcd', external: true, netns: 'hl-lab-cp' });
    expect(cp[1]!.args).toEqual(expect.arrayContaining(['--storage', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:2379']));
  });

  it('gives each node its kubelet (and agent when built) in the node namespace', () => {
    const node = plan.nodes[1]!;
    const withAgent = nodeComponents(plan, node, { cni: 'hawser', withAgent: true });
    expect(withAgent.map((c) => c.component)).toEqual(['agent', 'kubelet']);
    expect(withAgent.every((c) => c.netns === 'hl-lab-n2' && c.node === 'node2')).toBe(true);
    expect(withAgent[0]!.args).toEqual(expect.arrayContaining(['--node-ip', '192.168.56.11', '--routing', 'host-gw']));
    const kubelet = nodeComponents(plan, node, { cni: 'reference', withAgent: false });
    expect(kubelet.map((c) => c.component)).toEqual(['kubelet']);
    expect(kubelet[0]!.args).toEqual(expect.arrayContaining(['--cni-bin-dir', '/usr/lib/cni', '--netns-prefix', 'hl-lab-p-']));
  });

  it('gives every node its own identity: a token line per node, its own kubeconfig', () => {
    expect(nodeTokenFile(plan, { node1: 'aa', node2: 'bb' })).toBe('aa,system:node:node1,node-node1,"system:nodes"\nbb,system:node:node2,node-node2,"system:nodes"\n');
    expect(controlPlaneComponents(plan)[0]!.args).toEqual(expect.arrayContaining(['--token-file', labPaths(plan).tokenFile]));
    const node = plan.nodes[0]!;
    for (const c of nodeComponents(plan, node, { cni: 'hawser', withAgent: true })) {
      expect(c.args[c.args.indexOf('--kubeconfig') + 1]).toBe(nodePaths(plan, node, 'hawser').kubeconfig);
    }
  });

  it('recognises only its own lab\'s forwarders', () => {
    const argv = ['/usr/bin/node', '/x/bin/hawser.js', ...controlPlaneComponents(plan)[2]!.args];
    expect(isLabForwarder(argv, 'lab')).toBe(true);
    expect(isLabForwarder(argv, 'lab2')).toBe(false);
    expect(isLabForwarder(['/usr/bin/node', 'x.js', 'forward', '--lab', 'lab'], 'lab')).toBe(false);
  });
});

// The controllers inside a real apiserver (app.inject): every expectation is polled for
// (bounded), never timed.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../apiserver/storage/memory.js';
import { eventually, nodeReadyStatus, readyNode, startHarness, type Harness } from './testing/harness.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(lbPool = '192.168.56.200-192.168.56.201') {
  const h = await startHarness(new MemoryStorage(), { controllers: { lbPool } });
  open.push(h);
  return h;
}

async function addNode(h: Harness, name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}, ready = true) {
  expect((await h.req('POST', '/api/v1/nodes', readyNode(name, labels, spec))).status).toBe(201);
  const r = await h.req('PATCH', `/api/v1/nodes/${name}/status`, { status: nodeReadyStatus(ready) }, 'application/merge-patch+json');
  expect(r.status).toBe(200);
}

const pod = (name: string, labels: Record<string, string>, extra: Obj = {}) => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'hawser/echo', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});

async function setPodStatus(h: Harness, name: string, ip: string, ready: boolean) {
  const r = await h.req('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, {
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }, 'application/merge-patch+json');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

const list = async (h: Harness, url: string): Promise<Obj[]> => (await h.req('GET', url)).body.items as Obj[];

describe('EndpointSlices and Endpoints', { timeout: 30_000 }, () => {
  it('follow pod readiness, with named target ports resolved', async () => {
    const h = await harness();
    await h.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    for (const n of ['a', 'b']) await h.req('POST', '/api/v1/namespaces/default/pods', pod(n, { app: 'web' }));
    await h.req('POST', '/api/v1/namespaces/default/pods', pod('other', { app: 'db' }));
    // Placeholder first: no pod has an IP yet.
    await eventually(async () => {
      const s = await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web');
      return s.length === 1 && (s[0]!.endpoints ?? []).length === 0 ? s : undefined;
    }, 'placeholder slice');
    await setPodStatus(h, 'a', '10.244.0.5', true);
    await setPodStatus(h, 'b', '10.244.0.6', false);
    await setPodStatus(h, 'other', '10.244.0.7', true);
    const slice = await eventually(async () => {
      const s = await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web');
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s[0] : undefined;
    }, 'two endpoints');
    expect(slice.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(slice.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    const byName = Object.fromEntries(slice.endpoints.map((e: Obj) => [e.targetRef.name, e]));
    expect(byName.a.conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(byName.b.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(byName.a.addresses).toEqual(['10.244.0.5']);
    // Readiness flips: the slice follows.
    await setPodStatus(h, 'b', '10.244.0.6', true);
    await setPodStatus(h, 'a', '10.244.0.5', false);
    await eventually(async () => {
      const s = await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web');
      const eps = Object.fromEntries((s[0]?.endpoints ?? []).map((e: Obj) => [e.targetRef.name, e.conditions.ready]));
      return eps.a === false && eps.b === true ? true : undefined;
    }, 'readiness flipped');
    const ep = await eventually(async () => {
      const r = await h.req('GET', '/api/v1/namespaces/default/endpoints/web');
      const sub = (r.body.subsets as Obj[] | undefined)?.[0];
      return sub?.addresses?.[0]?.ip === '10.244.0.6' && sub?.notReadyAddresses?.[0]?.ip === '10.244.0.5' ? sub : undefined;
    }, 'legacy Endpoints');
    expect(ep.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    // Deleting the Service removes its slices.
    await h.req('DELETE', '/api/v1/namespaces/default/services/web');
    await eventually(async () => ((await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web')).length === 0 ? true : undefined), 'slices gone');
  });

  it('leave Services without a selector alone', async () => {
    const h = await harness();
    await h.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
    await h.req('POST', '/api/v1/namespaces/default/endpoints', { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }] });
    await h.controllers!.idle();
    const ep = await h.req('GET', '/api/v1/namespaces/default/endpoints/manual');
    expect((ep.body.subsets as Obj[])[0]!.addresses[0].ip).toBe('192.0.2.1');
    expect(await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=manual')).toEqual([]);
  });
});

describe('node pod CIDRs', { timeout: 30_000 }, () => {
  it('each registering Node gets its own /24, released on delete', async () => {
    const h = await harness();
    for (const n of ['n1', 'n2', 'n3']) await addNode(h, n);
    const cidrs = await eventually(async () => {
      const nodes = await list(h, '/api/v1/nodes');
      const c = nodes.map((n) => n.spec?.podCIDR);
      return c.every(Boolean) ? c : undefined;
    }, 'pod CIDRs');
    expect(new Set(cidrs).size).toBe(3);
    for (const c of cidrs) expect(c).toMatch(/^10\.244\.\d+\.0\/24$/);
    const n2 = (await h.req('GET', '/api/v1/nodes/n2')).body as Obj;
    expect(n2.spec.podCIDRs).toEqual([n2.spec.podCIDR]);
    await h.req('DELETE', '/api/v1/nodes/n2');
    await addNode(h, 'n4');
    const n4 = await eventually(async () => ((await h.req('GET', '/api/v1/nodes/n4')).body as Obj).spec?.podCIDR, 'n4 CIDR');
    expect(n4).toBe(n2.spec.podCIDR); // lowest free first: n2's range came back
  });
});

describe('scheduler', { timeout: 30_000 }, () => {
  it('spreads pods over 3 Ready nodes, honours nodeSelector and taints, reports unschedulable', async () => {
    const h = await harness();
    await addNode(h, 'n1', { zone: 'a' });
    await addNode(h, 'n2', { zone: 'b' });
    await addNode(h, 'n3', { zone: 'b' }, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await addNode(h, 'n4', {}, {}, false);
    for (let i = 0; i < 6; i++) await h.req('POST', '/api/v1/namespaces/default/pods', pod(`p${i}`, { app: 'x' }, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
    const placed = await eventually(async () => {
      const pods = await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=x');
      return pods.every((p) => p.spec.nodeName) ? pods.map((p) => p.spec.nodeName as string) : undefined;
    }, 'all bound');
    const counts = placed.reduce<Record<string, number>>((m, n) => ({ ...m, [n]: (m[n] ?? 0) + 1 }), {});
    expect(counts).toEqual({ n1: 2, n2: 2, n3: 2 });
    const p0 = (await h.req('GET', '/api/v1/namespaces/default/pods/p0')).body as Obj;
    expect(p0.status.conditions.find((c: Obj) => c.type === 'PodScheduled').status).toBe('True');
    // Without the toleration n3 is out; with a selector only zone b remains.
    await h.req('POST', '/api/v1/namespaces/default/pods', pod('sel', { app: 'y' }, { nodeSelector: { zone: 'b' } }));
    expect(await eventually(async () => ((await h.req('GET', '/api/v1/namespaces/default/pods/sel')).body as Obj).spec.nodeName, 'sel bound')).toBe('n2');
    await h.req('POST', '/api/v1/namespaces/default/pods', pod('nowhere', { app: 'y' }, { nodeSelector: { zone: 'mars' } }));
    const cond = await eventually(async () => {
      const p = (await h.req('GET', '/api/v1/namespaces/default/pods/nowhere')).body as Obj;
      return (p.status.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False');
    }, 'unschedulable condition');
    expect(cond.reason).toBe('Unschedulable');
    expect(cond.message).toMatch(/^0\/4 nodes are available: .*didn't match Pod's node affinity\/selector/);
    const events = await eventually(async () => {
      const ev = await list(h, '/api/v1/namespaces/default/events');
      const f = ev.filter((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'nowhere');
      return f.length ? f : undefined;
    }, 'FailedScheduling event');
    expect(events[0]!.type).toBe('Warning');
    // A matching node appears: the pod is retried and bound.
    await addNode(h, 'n5', { zone: 'mars' });
    expect(await eventually(async () => ((await h.req('GET', '/api/v1/namespaces/default/pods/nowhere')).body as Obj).spec.nodeName, 'nowhere bound')).toBe('n5');
  });
});

describe('workloads', { timeout: 30_000 }, () => {
  it('a Deployment of 3 replicas creates 3 pods via a ReplicaSet, replaces a deleted one, scales', async () => {
    const h = await harness();
    await addNode(h, 'n1');
    const d = {
      metadata: { name: 'web' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'hawser/echo:1' }] } } },
    };
    expect((await h.req('POST', '/apis/apps/v1/namespaces/default/deployments', d)).status).toBe(201);
    const active = async () => (await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=web')).filter((p) => !p.metadata.deletionTimestamp);
    const pods = await eventually(async () => {
      const p = await active();
      return p.length === 3 ? p : undefined;
    }, '3 pods');
    const rs = await list(h, '/apis/apps/v1/namespaces/default/replicasets');
    expect(rs).toHaveLength(1);
    const hash = rs[0]!.metadata.labels['pod-template-hash'];
    expect(rs[0]!.metadata.name).toBe(`web-${hash}`);
    expect(rs[0]!.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    for (const p of pods) {
      expect(p.metadata.labels['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: rs[0]!.metadata.name, controller: true });
    }
    await h.req('DELETE', `/api/v1/namespaces/default/pods/${pods[0]!.metadata.name}`);
    await eventually(async () => {
      const p = await active();
      return p.length === 3 && !p.some((x) => x.metadata.name === pods[0]!.metadata.name) ? true : undefined;
    }, 'replacement pod');
    await h.req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 5 } }, 'application/merge-patch+json');
    await eventually(async () => ((await active()).length === 5 ? true : undefined), 'scaled to 5');
    await h.req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 2 } }, 'application/merge-patch+json');
    await eventually(async () => ((await active()).length === 2 ? true : undefined), 'scaled to 2');
  });

  it('a rolling update waits for the new pods to be ready before removing old ones', async () => {
    const h = await harness();
    await addNode(h, 'n1');
    const d = (image: string) => ({
      metadata: { name: 'app' },
      spec: {
        replicas: 4, selector: { matchLabels: { app: 'roll' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: { labels: { app: 'roll' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    await h.req('POST', '/apis/apps/v1/namespaces/default/deployments', d('v1'));
    let ip = 10;
    const readyAll = async () => {
      for (const p of await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=roll')) {
        if (p.metadata.deletionTimestamp || p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')) continue;
        await setPodStatus(h, p.metadata.name, `10.244.0.${ip++}`, true);
      }
    };
    const status = async () => ((await h.req('GET', '/apis/apps/v1/namespaces/default/deployments/app')).body as Obj).status ?? {};
    await eventually(async () => {
      await readyAll();
      const s = await status();
      return s.availableReplicas === 4 && s.updatedReplicas === 4 ? true : undefined;
    }, 'v1 available');
    await h.req('PATCH', '/apis/apps/v1/namespaces/default/deployments/app', { spec: { template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } } }, 'application/merge-patch+json');
    // Without readiness the rollout stops after one surge pod, and no old pod goes.
    await eventually(async () => ((await list(h, '/apis/apps/v1/namespaces/default/replicasets')).length === 2 ? true : undefined), 'new ReplicaSet');
    await h.controllers!.idle();
    const rss = await list(h, '/apis/apps/v1/namespaces/default/replicasets');
    const byRev = Object.fromEntries(rss.map((r) => [r.metadata.annotations['deployment.kubernetes.io/revision'], r.spec.replicas]));
    expect(byRev).toEqual({ 1: 4, 2: 1 });
    // Readiness drives it to the end.
    await eventually(async () => {
      await readyAll();
      const s = await status();
      const all = await list(h, '/apis/apps/v1/namespaces/default/replicasets');
      const old = all.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '1');
      return s.updatedReplicas === 4 && s.availableReplicas === 4 && old?.spec.replicas === 0 ? true : undefined;
    }, 'rollout complete');
    const s = await status();
    expect(s.conditions.find((c: Obj) => c.type === 'Progressing').reason).toBe('NewReplicaSetAvailable');
  });
});

describe('LoadBalancer IPs', { timeout: 30_000 }, () => {
  it('assigns from the pool, honours loadBalancerIP, reports exhaustion, reuses freed addresses', async () => {
    const h = await harness('192.168.56.200-192.168.56.201');
    const lb = (name: string, extra: Obj = {}) => ({ metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }], ...extra } });
    await h.req('POST', '/api/v1/namespaces/default/services', lb('want', { loadBalancerIP: '192.168.56.201' }));
    await h.req('POST', '/api/v1/namespaces/default/services', lb('any'));
    const ingress = async (name: string) => ((await h.req('GET', `/api/v1/namespaces/default/services/${name}`)).body as Obj).status?.loadBalancer?.ingress?.[0]?.ip;
    expect(await eventually(() => ingress('want'), 'want ip')).toBe('192.168.56.201');
    expect(await eventually(() => ingress('any'), 'any ip')).toBe('192.168.56.200');
    await h.req('POST', '/api/v1/namespaces/default/services', lb('late'));
    const cond = await eventually(async () => {
      const s = (await h.req('GET', '/api/v1/namespaces/default/services/late')).body as Obj;
      return (s.status?.conditions ?? []).find((c: Obj) => c.type === 'LoadBalancerIPAllocated' && c.status === 'False');
    }, 'exhausted condition');
    expect(cond.reason).toBe('PoolExhausted');
    await eventually(async () => ((await list(h, '/api/v1/namespaces/default/events')).some((e) => e.reason === 'AllocationFailed' && e.involvedObject.name === 'late') ? true : undefined), 'event');
    await h.req('PATCH', '/api/v1/namespaces/default/services/any', { spec: { type: 'ClusterIP' } }, 'application/merge-patch+json');
    expect(await eventually(() => ingress('late'), 'late gets the freed ip')).toBe('192.168.56.200');
    expect(await ingress('any')).toBeUndefined();
  });
});

describe('garbage collection and node lifecycle', { timeout: 30_000 }, () => {
  it('deleting a Deployment removes its ReplicaSet and pods', async () => {
    const h = await harness();
    await addNode(h, 'n1');
    await h.req('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'gone' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'gone' } }, template: { metadata: { labels: { app: 'gone' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await eventually(async () => ((await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=gone')).length === 2 ? true : undefined), 'pods');
    await h.req('DELETE', '/apis/apps/v1/namespaces/default/deployments/gone');
    await eventually(async () => ((await list(h, '/apis/apps/v1/namespaces/default/replicasets')).length === 0 ? true : undefined), 'ReplicaSet collected');
    // Bound pods are deleted gracefully (the kubelet finishes them): all marked.
    await eventually(async () => ((await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=gone')).every((p) => p.metadata.deletionTimestamp) ? true : undefined), 'pods collected');
  });

  it('a Node whose Lease stops being renewed becomes Unknown and its pods\' endpoints not ready', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const h = await startHarness(new MemoryStorage(), { controllers: { now: () => clock } });
    open.push(h);
    await addNode(h, 'n1');
    await h.req('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } });
    await h.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await h.req('POST', '/api/v1/namespaces/default/pods', pod('w', { app: 'web' }));
    await eventually(async () => ((await h.req('GET', '/api/v1/namespaces/default/pods/w')).body as Obj).spec.nodeName, 'bound');
    await setPodStatus(h, 'w', '10.244.0.9', true);
    const lifecycle = h.controllers!.controllers.find((c) => c.name === 'node-lifecycle') as unknown as { monitor(): Promise<void> };
    clock += 30_000;
    await h.req('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', { spec: { renewTime: '2026-01-01T00:00:30.000000Z' } }, 'application/merge-patch+json');
    clock += 30_000; // 30 s since the last renewal: still fine
    await lifecycle.monitor();
    expect(((await h.req('GET', '/api/v1/nodes/n1')).body as Obj).status.conditions[0].status).toBe('True');
    clock += 15_000; // 45 s: gone
    await lifecycle.monitor();
    const n1 = (await h.req('GET', '/api/v1/nodes/n1')).body as Obj;
    expect(n1.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' });
    expect(n1.spec.taints).toEqual([expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' })]);
    await eventually(async () => {
      const s = await list(h, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web');
      return s[0]?.endpoints?.[0]?.conditions?.ready === false ? true : undefined;
    }, 'endpoint not ready');
  });
});

describe('DaemonSets', { timeout: 30_000 }, () => {
  it('one pod per eligible node, including cordoned ones; a tainted node without toleration gets none', async () => {
    const h = await harness();
    await addNode(h, 'n1');
    await addNode(h, 'n2', {}, { unschedulable: true });
    await addNode(h, 'n3', {}, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await h.req('POST', '/apis/apps/v1/namespaces/default/daemonsets', {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const nodes = await eventually(async () => {
      const p = await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=agent');
      return p.length === 2 ? p.map((x) => x.spec.nodeName).sort() : undefined;
    }, 'two daemon pods');
    expect(nodes).toEqual(['n1', 'n2']);
    await addNode(h, 'n4');
    await eventually(async () => ((await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=agent')).some((p) => p.spec.nodeName === 'n4') ? true : undefined), 'pod on new node');
    await h.controllers!.idle();
    expect(await list(h, '/api/v1/namespaces/default/pods?labelSelector=app=agent')).toHaveLength(3);
    const ds = await eventually(async () => {
      const d = (await h.req('GET', '/apis/apps/v1/namespaces/default/daemonsets/agent')).body as Obj;
      return d.status?.desiredNumberScheduled === 3 ? d : undefined;
    }, 'status');
    expect(ds.status.currentNumberScheduled).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Pod, Service } from '../types.js';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices } from './slices.js';
import { desiredEndpoints, endpointsEqual } from './legacy.js';

const svc = (spec: NonNullable<Service['spec']> = {}): Service => ({
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, ipFamilies: ['IPv4'], clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

let n = 0;
const pod = (name: string, opts: { ip?: string; ready?: boolean; port?: number; deleting?: boolean; phase?: string; labels?: Record<string, string>; node?: string } = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: opts.labels ?? { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: opts.node ?? 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: opts.port ?? 8080, protocol: 'TCP' }] }] },
  status: {
    phase: (opts.phase ?? 'Running') as 'Running',
    ...(opts.ip === '' ? {} : { podIP: opts.ip ?? `10.244.0.${++n}` }),
    conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
  },
});

/** Applies a plan as the apiserver would (names for generateName), returning the new set. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof planSlices>): EndpointSlice[] {
  const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
  for (const d of plan.delete) byName.delete(d.metadata.name!);
  for (const u of plan.update) byName.set(u.metadata.name!, u);
  for (const c of plan.create) {
    const name = `${c.metadata.generateName}${byName.size}x${Math.random().toString(36).slice(2, 7)}`;
    byName.set(name, { ...c, metadata: { ...c.metadata, name } });
  }
  return [...byName.values()];
}

describe('planSlices', () => {
  it('one endpoint per pod with an IP, conditions, nodeName, targetRef, resolved named port, labels', () => {
    const pods = [pod('a'), pod('b', { ready: false }), pod('c', { deleting: true }), pod('d', { ip: '' }), pod('e', { phase: 'Succeeded' }), pod('f', { labels: { app: 'other' } })];
    const plan = planSlices(svc(), pods, []);
    expect(plan.create).toHaveLength(1);
    const s = plan.create[0]!;
    expect(s.metadata.labels).toMatchObject({ [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME, app: 'web' });
    expect(s.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'web', uid: 'svc-uid', controller: true });
    expect(s.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    expect(s.endpoints.map((e) => [e.targetRef?.name, e.conditions])).toEqual([
      ['a', { ready: true, serving: true, terminating: false }],
      ['b', { ready: false, serving: false, terminating: false }],
      ['c', { ready: false, serving: true, terminating: true }],
    ]);
    expect(s.endpoints[0]).toMatchObject({ nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', uid: 'uid-a' } });
  });

  it('publishNotReadyAddresses makes every endpoint ready', () => {
    const plan = planSlices(svc({ publishNotReadyAddresses: true }), [pod('b', { ready: false }), pod('c', { deleting: true })], []);
    expect(plan.create[0]!.endpoints.every((e) => e.conditions?.ready)).toBe(true);
  });

  it('a named targetPort resolving to different ports splits slices; unresolvable drops the port', () => {
    const two = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] });
    const plan = planSlices(two, [pod('a', { port: 8080 }), pod('b', { port: 8081 }), pod('c', { port: 8080 })], []);
    expect(plan.create).toHaveLength(2);
    const byPort = Object.fromEntries(plan.create.map((s) => [s.ports![0]!.port, s.endpoints.map((e) => e.targetRef?.name)]));
    expect(byPort).toEqual({ 8080: ['a', 'c'], 8081: ['b'] });
    expect(plan.create[0]!.ports).toHaveLength(1);
  });

  it('numeric targetPort and multi-port', () => {
    const s = svc({ ports: [{ name: 'a', port: 80, targetPort: 8080 }, { name: 'b', port: 53, targetPort: 5353, protocol: 'UDP' }] });
    const plan = planSlices(s, [pod('x')], []);
    expect(plan.create[0]!.ports).toEqual([{ name: 'a', protocol: 'TCP', port: 8080 }, { name: 'b', protocol: 'UDP', port: 5353 }]);
  });

  it('at most 100 endpoints per slice, and a readiness change rewrites only the slice holding the pod', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: `10.244.${i >> 8}.${i & 255}` }));
    let slices = apply([], planSlices(svc(), pods, []));
    expect(slices.map((s) => s.endpoints.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(planSlices(svc(), pods, slices)).toEqual({ create: [], update: [], delete: [] });
    pods[123] = pod('p123', { ip: pods[123]!.status!.podIP, ready: false });
    const plan = planSlices(svc(), pods, slices);
    expect(plan.update).toHaveLength(1);
    expect(plan.create.length + plan.delete.length).toBe(0);
    slices = apply(slices, plan);
    const all = slices.flatMap((s) => s.endpoints);
    expect(all).toHaveLength(250);
    expect(new Set(all.map((e) => e.targetRef?.uid)).size).toBe(250);
    expect(all.find((e) => e.targetRef?.name === 'p123')!.conditions!.ready).toBe(false);
  });

  it('no endpoints leaves one placeholder slice; emptied extra slices are deleted', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(`p${i}`, { ip: `10.244.1.${i}` }));
    let slices = apply([], planSlices(svc(), pods, []));
    expect(slices).toHaveLength(2);
    slices = apply(slices, planSlices(svc(), [], slices));
    expect(slices).toHaveLength(1);
    expect(slices[0]!.endpoints).toEqual([]);
    expect(slices[0]!.ports).toBeUndefined();
    expect(planSlices(svc(), [], slices)).toEqual({ create: [], update: [], delete: [] });
  });

  it('Services without a selector are left alone; ExternalName loses our slices', () => {
    const foreign: EndpointSlice = { metadata: { name: 'web-manual', namespace: 'default', labels: { [SERVICE_NAME_LABEL]: 'web' } }, addressType: 'IPv4', endpoints: [] };
    expect(planSlices(svc({ selector: undefined }), [pod('a')], [foreign])).toEqual({ create: [], update: [], delete: [] });
    const ours = apply([], planSlices(svc(), [pod('a')], []));
    expect(planSlices(svc({ type: 'ExternalName' }), [pod('a')], [...ours, foreign]).delete).toEqual(ours);
  });

  it('a duplicate endpoint left by a crash is removed from one of the slices', () => {
    const slices = apply([], planSlices(svc(), [pod('a', { ip: '10.244.9.1' })], []));
    const dup = { ...slices[0]!, metadata: { ...slices[0]!.metadata, name: 'web-dup' } };
    const plan = planSlices(svc(), [pod('a', { ip: '10.244.9.1' })], [...slices, dup]);
    const after = apply([...slices, dup], plan);
    expect(after.flatMap((s) => s.endpoints)).toHaveLength(1);
  });
});

describe('legacy Endpoints', () => {
  it('ready in addresses, not-ready in notReadyAddresses, terminating left out', () => {
    const ep = desiredEndpoints(svc(), [pod('a', { ip: '10.244.0.2' }), pod('b', { ip: '10.244.0.3', ready: false }), pod('c', { deleting: true })])!;
    expect(ep.subsets).toEqual([{
      addresses: [{ ip: '10.244.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
      notReadyAddresses: [{ ip: '10.244.0.3', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
    expect(endpointsEqual(ep, structuredClone(ep))).toBe(true);
    expect(endpointsEqual(ep, desiredEndpoints(svc(), [pod('a', { ip: '10.244.0.2' })])!)).toBe(false);
    expect(desiredEndpoints(svc({ selector: {} }), [pod('a')])).toBeUndefined();
  });
});

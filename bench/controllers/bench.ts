// Pod ready → EndpointSlice updated: the latency the service proxy ultimately waits on.
//
//   npm run build && node dist/bench/controllers/bench.js [pods=5000] [services=1000] [samples=400] [backend=sqlite|memory]
//
// An in-process apiserver (the chosen storage backend, in a temp dir) with the allocators and
// the EndpointSlice controller; `pods` pods spread over `services` Services, all with IPs
// and not ready. Each sample flips one pod to Ready through the REST layer (the path a
// kubelet's status PATCH takes after HTTP decoding) and waits for the store event of the
// slice that shows it ready. Reference, measured in the same run on the same store: the
// store's own write latency (Storage.update of a pod) and the REST status write alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiServer } from '../../src/apiserver/app.js';
import { openStorage, type Backend } from '../../src/apiserver/storage/index.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { installAllocators, startControllers } from '../../src/controllers/index.js';

const PODS = Number(process.argv[2] ?? 5000);
const SERVICES = Number(process.argv[3] ?? 1000);
const SAMPLES = Number(process.argv[4] ?? 400);
const BACKEND = (process.argv[5] ?? 'sqlite') as Backend;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'hawser-bench-ctrl-'));
const storage = await openStorage({ backend: BACKEND, dataDir: dir });
try {
  const app = await createApiServer({ storage });
  const { rest, registry } = app.hawser;
  const allocators = await installAllocators(app.hawser, { serviceCidr: '10.96.0.0/16' });
  const def = (g: string, r: string) => registry.all().find((d) => d.group === g && d.resource === r)!;
  const svcDef = def('', 'services');
  const podDef = def('', 'pods');

  let t0 = performance.now();
  for (let i = 0; i < SERVICES; i++) {
    await rest.create(svcDef, 'default', { metadata: { name: `s${i}` }, spec: { selector: { app: `s${i}` }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  }
  for (let i = 0; i < PODS; i++) {
    const created = await rest.create(podDef, 'default', {
      metadata: { name: `p${i}`, labels: { app: `s${i % SERVICES}` } },
      spec: { nodeName: `n${i % 50}`, containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] },
    });
    const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
    await rest.update(podDef, 'default', `p${i}`, { ...created, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'False' }] } }, { subresource: 'status' });
  }
  const setupObjects = performance.now() - t0;
  t0 = performance.now();
  const controllers = await startControllers(app.hawser, { enabled: ['endpointslice'] });
  await controllers.idle();
  const initialSync = performance.now() - t0;

  // Waiters: resolve when a slice event shows pod `name` ready.
  const waiting = new Map<string, () => void>();
  const unsubscribe = storage.subscribe((e) => {
    if (!e.key.startsWith('/registry/discovery.k8s.io/endpointslices/')) return;
    for (const ep of (e.object as unknown as { endpoints?: Array<{ targetRef?: { name?: string }; conditions?: { ready?: boolean } }> }).endpoints ?? []) {
      const w = ep.conditions?.ready && ep.targetRef?.name ? waiting.get(ep.targetRef.name) : undefined;
      if (w) {
        waiting.delete(ep.targetRef!.name!);
        w();
      }
    }
  });

  const sliceLatency: number[] = [];
  const restWrite: number[] = [];
  const step = Math.max(1, Math.floor(PODS / SAMPLES));
  for (let s = 0; s < SAMPLES; s++) {
    const name = `p${(s * step) % PODS}`;
    const cur = (await rest.get(podDef, 'default', name)) as KubeObject & { status: { conditions: Array<{ type: string; status: string }> } };
    const next = structuredClone(cur);
    next.status.conditions = [{ type: 'Ready', status: 'True' }];
    const seen = new Promise<void>((r) => waiting.set(name, r));
    const start = performance.now();
    await rest.update(podDef, 'default', name, next, { subresource: 'status' });
    restWrite.push(performance.now() - start);
    await seen;
    sliceLatency.push(performance.now() - start);
  }
  unsubscribe();

  // Reference: the raw store, same objects, same run.
  const storeWrite: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const key = `/registry/core/pods/default/p${(s * step) % PODS}`;
    const cur = (await storage.get(key))!;
    const next = { ...cur, metadata: { ...cur.metadata, annotations: { bench: String(s) } } };
    const start = performance.now();
    await storage.update(key, next, Number(cur.metadata.resourceVersion));
    storeWrite.push(performance.now() - start);
  }

  console.log(`controllers bench: ${PODS} pods, ${SERVICES} services, ${SAMPLES} samples, ${BACKEND} storage`);
  console.log(`  setup (create objects through REST): ${(setupObjects / 1000).toFixed(1)} s; initial EndpointSlice sync: ${(initialSync / 1000).toFixed(2)} s`);
  console.log(`  store write (reference)              ${fmt(storeWrite)}`);
  console.log(`  REST pod status write                ${fmt(restWrite)}`);
  console.log(`  pod ready → EndpointSlice updated    ${fmt(sliceLatency)}`);
  console.log(`  ratio to store write: p50 ×${(pct(sliceLatency, 50) / pct(storeWrite, 50)).toFixed(1)}, p99 ×${(pct(sliceLatency, 99) / pct(storeWrite, 99)).toFixed(1)}`);
  await controllers.stop();
  allocators.stop();
  await app.close();
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}

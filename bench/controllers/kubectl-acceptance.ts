// The issue-4 acceptance walk with the real kubectl against an in-process apiserver with
// the allocators and controllers (plain HTTP on 127.0.0.1, ephemeral port, no auth):
//
//   npm run build && node dist/bench/controllers/kubectl-acceptance.js
//
// create deployment → expose → EndpointSlices, scale, rollout status, set image, rollout
// undo/history. Pod readiness is simulated (the lab kubelet does it for real) by marking
// every running pod Ready through the API. Prints each step with how long the cluster took
// to reflect it, and exits non-zero on the first step that does not converge.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../src/apiserver/app.js';
import { MemoryStorage } from '../../src/apiserver/storage/memory.js';
import { installAllocators, startControllers } from '../../src/controllers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hawser-kubectl-'));
const app = await createApiServer({ storage: new MemoryStorage() });
const allocators = await installAllocators(app.hawser);
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as AddressInfo).port;
await allocators.ensureKubernetesService({ address: '127.0.0.1', port });
const controllers = await startControllers(app.hawser);
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]
current-context: x
`);

const kubectl = (...args: string[]) => new Promise<string>((resolve, reject) => {
  execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
});
const api = async (method: string, url: string, body?: unknown) => {
  const r = await app.inject({ method: method as 'GET', url, ...(body ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/merge-patch+json' } } : {}) });
  return JSON.parse(r.body) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

let podIp = 10;
async function markReady(): Promise<void> {
  for (const p of (await api('GET', '/api/v1/namespaces/default/pods')).items) {
    if (p.metadata.deletionTimestamp) {
      // The kubelet would finish the graceful delete.
      await app.inject({ method: 'DELETE', url: `/api/v1/namespaces/default/pods/${p.metadata.name}`, payload: JSON.stringify({ gracePeriodSeconds: 0 }), headers: { 'content-type': 'application/json' } });
      continue;
    }
    if (!p.spec.nodeName || p.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')) continue;
    const ip = `10.244.0.${podIp++ % 250}`;
    await api('PATCH', `/api/v1/namespaces/default/pods/${p.metadata.name}/status`, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } });
  }
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    await markReady();
    if (await check()) break;
    if (performance.now() - t0 > 30_000) throw new Error(`did not converge: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(`ok  ${what} (${(performance.now() - t0).toFixed(0)} ms)`);
}

const sliceEndpoints = async () => {
  const out = JSON.parse(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')) as { items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }>; ports?: Array<{ port: number }> }> };
  return out.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).map(() => s.ports?.[0]?.port));
};

let failed = false;
try {
  await app.inject({ method: 'POST', url: '/api/v1/nodes', payload: JSON.stringify({ metadata: { name: 'n1' } }), headers: { 'content-type': 'application/json' } });
  await api('PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  // `kubectl create deployment` sends a protobuf body, which the apiserver accepts for a
  // few kinds only so far: render it client-side and create it as JSON instead.
  writeFileSync(join(dir, 'web.json'), await kubectl('create', 'deployment', 'web', '--image=hawser/echo', '--replicas=3', '--dry-run=client', '-o', 'json'));
  await kubectl('create', '-f', join(dir, 'web.json'));
  await kubectl('expose', 'deployment', 'web', '--port', '80', '--target-port', '8080');
  await until('3 ready endpoints in EndpointSlices on port 8080', async () => {
    const eps = await sliceEndpoints();
    return eps.length === 3 && eps.every((p) => p === 8080);
  });
  console.log((await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web')).trim());
  await kubectl('scale', 'deployment', 'web', '--replicas=5');
  await until('scale to 5 → 5 ready endpoints', async () => (await sliceEndpoints()).length === 5);
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
  console.log('ok  rollout status');
  await kubectl('set', 'image', 'deployment/web', 'echo=hawser/echo:v2');
  await until('set image → all 5 endpoints on the new ReplicaSet', async () => {
    const rs = await api('GET', '/apis/apps/v1/namespaces/default/replicasets');
    const v2 = rs.items.find((r: any) => r.spec.template.spec.containers[0].image === 'hawser/echo:v2'); // eslint-disable-line @typescript-eslint/no-explicit-any
    const pods = (await api('GET', '/api/v1/namespaces/default/pods')).items.filter((p: any) => !p.metadata.deletionTimestamp); // eslint-disable-line @typescript-eslint/no-explicit-any
    return !!v2 && v2.status?.availableReplicas === 5 && pods.length === 5 && (await sliceEndpoints()).length === 5;
  });
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
  console.log((await kubectl('rollout', 'history', 'deployment/web')).trim());
  await kubectl('rollout', 'undo', 'deployment/web');
  await until('rollout undo → back to hawser/echo, 5 ready endpoints', async () => {
    const d = await api('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    return d.spec.template.spec.containers[0].image === 'hawser/echo' && d.status?.updatedReplicas === 5 && d.status?.availableReplicas === 5 && (await sliceEndpoints()).length === 5;
  });
  await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
  console.log((await kubectl('get', 'svc,deploy,rs', '-o', 'wide')).trim());
} catch (e) {
  failed = true;
  console.error(`FAIL ${(e as Error).message}`);
} finally {
  await controllers.stop();
  allocators.stop();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

// Test harness: an in-process apiserver (app.inject, no listener) with the allocators and
// optionally the controllers, and a few request helpers. Shared by the integration tests
// and the benchmark.
import { createApiServer, type ApiServerApp } from '../../apiserver/app.js';
import type { Storage } from '../../apiserver/storage/types.js';
import { installAllocators, startControllers, type AllocatorConfig, type ControllersConfig, type InstalledAllocators, type RunningControllers } from '../index.js';

export interface Harness {
  app: ApiServerApp;
  allocators: InstalledAllocators;
  controllers?: RunningControllers;
  req(method: string, url: string, body?: unknown, contentType?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startHarness(storage: Storage, opts: { allocators?: AllocatorConfig; controllers?: ControllersConfig | false } = {}): Promise<Harness> {
  const app = await createApiServer({ storage });
  const allocators = await installAllocators(app.hawser, opts.allocators);
  await allocators.ensureKubernetesService({ address: '127.0.0.1', port: 6443 });
  const controllers = opts.controllers === false ? undefined : await startControllers(app.hawser, opts.controllers ?? {});
  return {
    app,
    allocators,
    controllers,
    async req(method, url, body, contentType = 'application/json') {
      const r = await app.inject({
        method: method as 'GET',
        url,
        ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': contentType } }),
      });
      return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {} };
    },
    async close() {
      await controllers?.stop();
      allocators.stop();
      await app.close();
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const readyNode = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: { ...extra },
});

export const nodeReadyStatus = (ready = true) => ({
  conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }],
});

// Bad input never gives a 5xx and never stops the server (issue 3 acceptance): 1,500
// generated requests — mutated valid objects, wrong kinds, broken JSON/YAML/protobuf,
// bad names, patches of every type, odd query strings, oversized bodies — from a seeded
// generator, so a failure is reproducible.
import { describe, expect, it } from 'vitest';
import { createApiServer } from './app.js';
import { MemoryStorage } from './storage/memory.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PATHS = [
  '/api/v1/namespaces/default/services', '/api/v1/namespaces/default/services/web', '/api/v1/namespaces/default/services/web/status',
  '/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods/p', '/api/v1/namespaces/default/pods/p/binding', '/api/v1/namespaces/default/pods/p/status',
  '/api/v1/namespaces', '/api/v1/namespaces/default', '/api/v1/nodes/n1', '/api/v1/namespaces/default/configmaps', '/api/v1/namespaces/default/configmaps/c',
  '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/np',
  '/apis/apps/v1/namespaces/default/deployments', '/apis/apps/v1/namespaces/default/deployments/d/scale', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
  '/api/v1/namespaces/nope/configmaps', '/api/v1/namespaces/default/bogus', '/apis/x/y/z', '/api/v1/namespaces/default/services/web/nosuch', '/api/v1/%zz',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
];
const QUERIES = ['', '?labelSelector=a%20in%20(', '?fieldSelector=spec.nodeName%3Dx', '?limit=-1', '?limit=abc', '?continue=%%%', '?resourceVersion=abc',
  '?watch=true&timeoutSeconds=1&resourceVersion=1', '?dryRun=All', '?dryRun=Bogus', '?fieldValidation=Strict', '?fieldManager=x', '?gracePeriodSeconds=x', '?propagationPolicy=Nope'];
const TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/json-patch+json', 'application/merge-patch+json',
  'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'text/plain', ''];

const seeds: unknown[] = [
  { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  { metadata: { name: 'np' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 70 }] }] } },
  { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } } },
  [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }],
  { spec: { ports: [{ $patch: 'delete' }] } },
  { target: { name: 'n1' } },
  { spec: { replicas: 'x' } },
];

const WEIRD: unknown[] = [null, 0, -1, 1e300, '', 'x'.repeat(300), [], {}, true, { $patch: 'bogus' }, '../..', 'UPPER', [null], { a: { b: { c: [1, { d: null }] } } }];

function mutate(v: unknown, r: () => number, depth = 0): unknown {
  if (r() < 0.15 || depth > 5) return WEIRD[Math.floor(r() * WEIRD.length)];
  if (Array.isArray(v)) return v.map((x) => mutate(x, r, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (r() < 0.1) continue;
      out[r() < 0.05 ? `${k}x` : k] = mutate(x, r, depth + 1);
    }
    return out;
  }
  return r() < 0.3 ? WEIRD[Math.floor(r() * WEIRD.length)] : v;
}

function body(r: () => number): string | Buffer | undefined {
  const k = r();
  if (k < 0.1) return undefined;
  if (k < 0.2) return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  if (k < 0.25) return Buffer.concat([Buffer.from('k8s\0'), Buffer.from(Array.from({ length: 40 }, () => Math.floor(r() * 256)))]);
  if (k < 0.3) return '{"metadata": {"name": "a", "name": "b"}, ';
  if (k < 0.35) return 'a: [b\n  - c: {';
  const text = JSON.stringify(mutate(seeds[Math.floor(r() * seeds.length)], r));
  return r() < 0.1 ? text.slice(0, Math.floor(r() * text.length)) : text;
}

describe('fuzz', () => {
  it('1,500 generated requests: no 5xx, every error a Status, the server keeps serving', async () => {
    const app = await createApiServer({ storage: new MemoryStorage(), bodyLimit: 64 * 1024 });
    const r = rng(20261122);
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
    const bad: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const method = methods[Math.floor(r() * methods.length)]!;
      const url = PATHS[Math.floor(r() * PATHS.length)]! + QUERIES[Math.floor(r() * QUERIES.length)]!;
      const payload = method === 'GET' ? undefined : body(r);
      const type = TYPES[Math.floor(r() * TYPES.length)]!;
      const res = await app.inject({ method, url, payload, headers: type ? { 'content-type': type } : {} });
      if (res.statusCode >= 500) bad.push(`${method} ${url} ${type} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 400 && res.headers['content-type']?.toString().includes('json')) {
        const s = JSON.parse(res.body) as { kind?: string; code?: number };
        if (s.kind !== 'Status' || s.code !== res.statusCode) bad.push(`${method} ${url}: error is not a Status: ${res.body.slice(0, 200)}`);
      }
    }
    const huge = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', payload: JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(100_000) } }), headers: { 'content-type': 'application/json' } });
    expect(huge.statusCode).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge' });
    expect(bad).toEqual([]);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    // (the fuzz may well have deleted "default")
    expect((await app.inject({ method: 'POST', url: '/api/v1/namespaces', payload: '{"metadata":{"name":"still-works"}}', headers: { 'content-type': 'application/json' } })).statusCode).toBe(201);
    await app.close();
  }, 120_000);
});

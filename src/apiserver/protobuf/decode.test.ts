// Protobuf request bodies as kubectl 1.32 sends them (captured from its typed `create`
// and `auth can-i` commands), decoded into the JSON shape and then served.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './decode.js';
import { createApiServer } from '../app.js';
import { MemoryStorage } from '../storage/memory.js';

// kubectl create namespace team-a
const NS = 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh4KFgoGdGVhbS1hEgAaACIAKgAyADgAQgASABoCCgAaACIA';
// kubectl create configmap cfg -n team-a --from-literal=k=v --from-literal=k2=v2
const CM = 'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEi0KGQoDY2ZnEgAaBnRlYW0tYSIAKgAyADgAQgASBgoBaxIBdhIICgJrMhICdjIaACIA';
// kubectl create secret generic sec -n team-a --from-literal=pw=s3cret
const SECRET = 'azhzAAoMCgJ2MRIGU2VjcmV0EisKGQoDc2VjEgAaBnRlYW0tYSIAKgAyADgAQgASDAoCcHcSBnMzY3JldBoAGgAiAA==';
// kubectl create service nodeport np --tcp=8080:http -n team-a
const SVC = 'azhzAAoNCgJ2MRIHU2VydmljZRJxCiMKAm5wEgAaBnRlYW0tYSIAKgAyADgAQgBaCQoDYXBwEgJucBJGCiEKCTgwODAtaHR0cBIDVENQGJA/IgoIARAAGgRodHRwKAASCQoDYXBwEgJucBoAIghOb2RlUG9ydDoAQgBSAFoAYABoABoCCgAaACIA';
// kubectl auth can-i list services --namespace team-a
const SSAR = 'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSQAoQCgASABoAIgAqADIAOABCABIiCiAKBnRlYW0tYRIEbGlzdBoAIgAqCHNlcnZpY2VzMgA6ABoICAASABoAIAAaACIA';

const b = (s: string) => Buffer.from(s, 'base64');

describe('protobuf decoding', () => {
  it('decodes the envelope and the messages kubectl sends, dropping Go zero values', () => {
    expect(decodeProtobufObject(b(NS))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' }, spec: {} });
    expect(decodeProtobufObject(b(CM))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team-a' }, data: { k: 'v', k2: 'v2' } });
    expect(decodeProtobufObject(b(SECRET))).toMatchObject({ kind: 'Secret', metadata: { name: 'sec' }, data: { pw: Buffer.from('s3cret').toString('base64') } });
    const svc = decodeProtobufObject(b(SVC));
    expect(svc).toMatchObject({
      kind: 'Service',
      metadata: { name: 'np', namespace: 'team-a', labels: { app: 'np' } },
      spec: { type: 'NodePort', selector: { app: 'np' }, ports: [{ name: '8080-http', protocol: 'TCP', port: 8080, targetPort: 'http' }] },
    });
    expect((svc.spec as Record<string, unknown>).clusterIP).toBeUndefined();
    expect(decodeProtobufObject(b(SSAR))).toMatchObject({ spec: { resourceAttributes: { namespace: 'team-a', verb: 'list', resource: 'services' } } });
  });

  it.each([
    ['no magic', Buffer.from('{}')],
    ['truncated', b(CM).subarray(0, 30)],
    ['garbage after magic', Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0xff, 0xff, 0xff])])],
    ['unknown kind', Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x08, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x02, 0x50, 0x6f])])],
  ])('rejects %s with a 400', (_n, body) => {
    expect(() => decodeProtobufObject(body)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest' }));
  });

  it('creates objects from protobuf bodies and answers in JSON', async () => {
    const app = await createApiServer({ storage: new MemoryStorage() });
    const post = (url: string, body: string) => app.inject({ method: 'POST', url, payload: b(body), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
    expect((await post('/api/v1/namespaces', NS)).statusCode).toBe(201);
    const cm = await post('/api/v1/namespaces/team-a/configmaps', CM);
    expect(cm.statusCode).toBe(201);
    expect(cm.headers['content-type']).toContain('application/json');
    const svc = await post('/api/v1/namespaces/team-a/services', SVC);
    expect(JSON.parse(svc.body).spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
    expect((await post('/api/v1/namespaces/team-a/configmaps', SVC)).statusCode).toBe(400);
    const review = JSON.parse((await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', SSAR)).body);
    expect(review.status.allowed).toBe(true);
    await app.close();
  });
});

// A writer for hand-made bodies: just enough wire format to build what kubectl never sends.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (let v = BigInt.asUintN(64, BigInt(n)); ; v >>= 7n) {
    if (v < 0x80n) return Buffer.from([...out, Number(v)]);
    out.push(Number(v & 0x7fn) | 0x80);
  }
};
const num = (no: number, n: number) => Buffer.concat([varint(no << 3), varint(n)]);
const len = (no: number, ...parts: (Buffer | string)[]) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([varint((no << 3) | 2), varint(body.length), body]);
};
const object = (apiVersion: string, kind: string, ...raw: Buffer[]) =>
  Buffer.concat([Buffer.from('k8s\0'), len(1, len(1, apiVersion), len(2, kind)), len(2, ...raw)]);
/** apps/v1 Deployment {metadata{name}, spec{template{spec: podSpec}}} */
const deploymentWithPodSpec = (...podSpec: Buffer[]) => object('apps/v1', 'Deployment', len(1, len(1, 'd')), len(2, len(3, len(2, ...podSpec))));

describe('decoder rules', () => {
  it('keeps zero values of Go pointers, drops those of plain fields, inlines embedded structs', () => {
    const body = deploymentWithPodSpec(
      num(21, 0), // automountServiceAccountToken: *bool false — meaningful
      num(11, 0), // hostNetwork: bool false — Go's unset
      len(2, len(1, 'c'), len(7, len(1, 'K'), len(3, len(3, len(1, len(1, 'cm')), len(2, 'key'), num(3, 1))))), // env[].valueFrom.configMapKeyRef
      len(2, len(1, 'c2'), len(8, len(1, len(1, 'cpu'), len(2, len(1, '250m'))))), // resources.limits: map<string, Quantity>
      len(14, num(4, 1000), num(4, 2000)), // supplementalGroups, unpacked
      len(14, len(4, Buffer.concat([varint(3000), varint(4000)]))), // … and packed
    );
    const spec = (decodeProtobufObject(body) as any).spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec).not.toHaveProperty('hostNetwork');
    expect(spec.containers[0].env).toEqual([{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key', optional: true } } }]);
    expect(spec.containers[1].resources).toEqual({ limits: { cpu: '250m' } });
    expect(spec.securityContext).toEqual({ supplementalGroups: [1000, 2000, 3000, 4000] });
  });

  it.each([
    // a container field this server does not know, with content
    ['core.v1.Container', deploymentWithPodSpec(len(2, len(1, 'c'), len(99, 'x')))],
    // a volume source that is not listed (gcePersistentDisk)
    ['core.v1.VolumeSource', deploymentWithPodSpec(len(1, len(1, 'v'), len(2, len(3, len(1, 'disk')))))],
    ['rbac.v1.PolicyRule', object('rbac.authorization.k8s.io/v1', 'Role', len(1, len(1, 'r')), len(2, len(9, 'x')))],
  ])('refuses an unknown field of %s that carries a value, naming it', (type, body) => {
    expect(() => decodeProtobufObject(body)).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining(type) }));
  });

  it('skips an unknown field that carries only the zero value (Go writes every plain field)', () => {
    expect(decodeProtobufObject(deploymentWithPodSpec(len(2, len(1, 'c'), len(99), num(98, 0))))).toMatchObject({ spec: { template: { spec: { containers: [{ name: 'c' }] } } } });
  });

  it.each([
    ['a varint where a message belongs', deploymentWithPodSpec(num(2, 5))],
    ['a string where a varint belongs', object('apps/v1', 'Deployment', len(2, len(1, 'three')))],
    ['a message where a string belongs', object('v1', 'ConfigMap', num(1, 1))],
    ['broken FieldsV1 JSON', object('v1', 'ConfigMap', len(1, len(17, len(7, len(1, '{nope')))))],
    ['a compressed envelope', Buffer.concat([Buffer.from('k8s\0'), len(1, len(1, 'v1'), len(2, 'ConfigMap')), len(2), len(3, 'gzip')])],
  ])('rejects %s with a 400', (_n, body) => {
    expect(() => decodeProtobufObject(body)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest' }));
  });
});

describe('garbled bodies through the server', () => {
  const TESTDATA = new URL('./testdata/', import.meta.url);
  const fixtures = readdirSync(TESTDATA).filter((f) => f.endsWith('.pb')).map((f) => readFileSync(new URL(f, TESTDATA)));
  const URLS = ['/apis/apps/v1/namespaces/default/deployments', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', '/api/v1/namespaces/default/services'];

  it('answers every truncation and seeded byte flip of the captured bodies with a Status below 500', async () => {
    const app = await createApiServer({ storage: new MemoryStorage() });
    let seed = 7;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const bodies: Buffer[] = [];
    for (const f of fixtures) {
      for (let cut = 5; cut < f.length; cut += 7) bodies.push(f.subarray(0, cut));
      for (let i = 0; i < 20; i++) {
        const m = Buffer.from(f);
        for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) m[4 + Math.floor(rnd() * (m.length - 4))] = Math.floor(rnd() * 256);
        bodies.push(m);
      }
    }
    for (const [i, payload] of bodies.entries()) {
      const r = await app.inject({ method: 'POST', url: URLS[i % URLS.length]!, payload, headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
      expect(r.statusCode, `body ${i} ${payload.toString('base64')}: ${r.body}`).toBeLessThan(500);
      if (r.statusCode >= 400) expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code: r.statusCode });
    }
    await app.close();
  });
});

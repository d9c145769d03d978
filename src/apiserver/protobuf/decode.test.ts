// Protobuf request bodies as kubectl 1.32 sends them (captured from its typed `create`
// and `auth can-i` commands), decoded into the JSON shape and then served.
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

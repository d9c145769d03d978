// Authentication (bearer tokens) and RBAC authorization through app.inject().
import { afterEach, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServerApp } from '../app.js';
import { MemoryStorage } from '../storage/memory.js';
import { parseTokenFile, TokenAuthenticator } from './tokens.js';
import { NODE_GROUP } from './bootstrap-policy.js';

const apps: ApiServerApp[] = [];
afterEach(async () => { for (const a of apps.splice(0)) await a.close(); });

const TOKENS = `
# token,user,uid,groups
admintoken,admin,admin,"system:masters"
nodetoken,system:node:n1,n1,"${NODE_GROUP}"
alicetoken,alice,alice
`;

async function app() {
  const a = await createApiServer({ storage: new MemoryStorage(), authenticator: new TokenAuthenticator(parseTokenFile(TOKENS)) });
  apps.push(a);
  const call = async (token: string | undefined, method: string, url: string, body?: unknown) => {
    const r = await a.inject({
      method: method as 'GET', url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      payload: body ? JSON.stringify(body) : undefined,
    });
    return { code: r.statusCode, body: r.body ? JSON.parse(r.body.startsWith('{') ? r.body : '{}') as Record<string, any> : {} }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return call;
}

describe('token file', () => {
  it('parses users, uids and quoted group lists', () => {
    const m = parseTokenFile(TOKENS);
    expect(m.get('admintoken')).toEqual({ name: 'admin', uid: 'admin', groups: ['system:masters'] });
    expect(m.get('alicetoken')).toEqual({ name: 'alice', uid: 'alice', groups: [] });
    expect(() => parseTokenFile('onlytoken')).toThrow();
  });
});

describe('authentication and RBAC', () => {
  it('401 without or with a wrong token, except the health and version endpoints', async () => {
    const call = await app();
    for (const u of ['/api/v1/namespaces', '/api', '/apis', '/openapi/v3']) {
      const r = await call(undefined, 'GET', u);
      expect(r.code).toBe(401);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect((await call('wrong', 'GET', u)).code).toBe(401);
    }
    for (const u of ['/healthz', '/livez', '/readyz', '/version', '/readyz/ping']) expect((await call(undefined, 'GET', u)).code).toBe(200);
  });

  it('system:masters may do anything; others only what their roles allow', async () => {
    const call = await app();
    expect((await call('admintoken', 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } })).code).toBe(201);
    // alice: authenticated, discovery allowed, no resource access.
    expect((await call('alicetoken', 'GET', '/api')).code).toBe(200);
    const f = await call('alicetoken', 'GET', '/api/v1/namespaces/default/services');
    expect(f.body).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(f.body.message).toBe('services is forbidden: User "alice" cannot list resource "services" in API group "" in the namespace "default"');
    // Give alice a Role in default through a RoleBinding: it applies there and nowhere else.
    await call('admintoken', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { metadata: { name: 'svc-reader' }, rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] }] });
    await call('admintoken', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      metadata: { name: 'alice' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'svc-reader' }, subjects: [{ kind: 'User', name: 'alice' }],
    });
    expect((await call('alicetoken', 'GET', '/api/v1/namespaces/default/services')).code).toBe(200);
    expect((await call('alicetoken', 'GET', '/api/v1/namespaces/default/services/s')).code).toBe(200);
    expect((await call('alicetoken', 'DELETE', '/api/v1/namespaces/default/services/s')).code).toBe(403);
    expect((await call('alicetoken', 'GET', '/api/v1/namespaces/kube-system/services')).code).toBe(403);
    expect((await call('alicetoken', 'GET', '/api/v1/services')).code).toBe(403);
    // Removing the binding takes the access away again.
    await call('admintoken', 'DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/alice');
    expect((await call('alicetoken', 'GET', '/api/v1/namespaces/default/services')).code).toBe(403);
  });

  it('node identities read what the agents watch and write node and pod status only', async () => {
    const call = await app();
    await call('admintoken', 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    expect((await call('nodetoken', 'GET', '/apis/discovery.k8s.io/v1/endpointslices')).code).toBe(200);
    expect((await call('nodetoken', 'GET', '/apis/networking.k8s.io/v1/networkpolicies')).code).toBe(200);
    expect((await call('nodetoken', 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } })).code).toBe(201);
    expect((await call('nodetoken', 'PATCH', '/api/v1/namespaces/default/pods/p/status', undefined)).code).not.toBe(403);
    expect((await call('nodetoken', 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'x' }, spec: { ports: [{ port: 1 }] } })).code).toBe(403);
    expect((await call('nodetoken', 'PUT', '/api/v1/namespaces/default/pods/p', { metadata: { name: 'p' } })).code).toBe(403);
    expect((await call('nodetoken', 'DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin')).code).toBe(403);
  });

  it('NodeRestriction: a node writes only its own Node and the pods bound to it', async () => {
    const call = await app();
    const pod = (name: string, nodeName: string) => ({ metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'x' }] } });
    await call('admintoken', 'POST', '/api/v1/namespaces/default/pods', pod('mine', 'n1'));
    await call('admintoken', 'POST', '/api/v1/namespaces/default/pods', pod('theirs', 'n2'));
    await call('admintoken', 'POST', '/api/v1/nodes', { metadata: { name: 'n2' } });
    expect((await call('nodetoken', 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } })).code).toBe(201);
    const other = await call('nodetoken', 'POST', '/api/v1/nodes', { metadata: { name: 'n3' } });
    expect(other.body).toMatchObject({ code: 403, reason: 'Forbidden' });
    const mine = (await call('admintoken', 'GET', '/api/v1/namespaces/default/pods/mine')).body;
    const theirs = (await call('admintoken', 'GET', '/api/v1/namespaces/default/pods/theirs')).body;
    expect((await call('nodetoken', 'PUT', '/api/v1/namespaces/default/pods/mine/status', { ...mine, status: { phase: 'Running' } })).code).toBe(200);
    expect((await call('nodetoken', 'PUT', '/api/v1/namespaces/default/pods/theirs/status', { ...theirs, status: { phase: 'Running' } })).code).toBe(403);
    const n2 = (await call('admintoken', 'GET', '/api/v1/nodes/n2')).body;
    expect((await call('nodetoken', 'PUT', '/api/v1/nodes/n2/status', { ...n2, status: { phase: 'x' } })).code).toBe(403);
    expect((await call('nodetoken', 'DELETE', '/api/v1/namespaces/default/pods/theirs')).code).toBe(403);
    expect((await call('nodetoken', 'DELETE', '/api/v1/namespaces/default/pods/mine')).code).toBe(202);
  });

  it('answers SelfSubjectAccessReview (kubectl auth can-i)', async () => {
    const call = await app();
    const review = (token: string, resourceAttributes: Record<string, string>) =>
      call(token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });
    expect((await review('admintoken', { verb: 'delete', resource: 'nodes' })).body.status.allowed).toBe(true);
    expect((await review('nodetoken', { verb: 'list', resource: 'services', namespace: 'x' })).body.status.allowed).toBe(true);
    expect((await review('nodetoken', { verb: 'delete', resource: 'services', namespace: 'x' })).body.status.allowed).toBe(false);
  });
});

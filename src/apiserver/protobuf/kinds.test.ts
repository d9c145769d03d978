// Bodies kubectl 1.32.4 sent on this machine (testdata/*.pb, recorded by pointing
// `kubectl --server http://127.0.0.1:PORT` at a loopback server that saved each request
// body), decoded into the JSON the same objects have, then created through the server.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './decode.js';
import { createApiServer } from '../app.js';
import { MemoryStorage } from '../storage/memory.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}.pb`, import.meta.url));

const RBAC = 'rbac.authorization.k8s.io';
const template = (app: string, containers: unknown[]) => ({ metadata: { labels: { app } }, spec: { containers } });
const deployment = (name: string, replicas: number, containers: unknown[], ns?: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, ...(ns ? { namespace: ns } : {}), labels: { app: name } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, containers), strategy: {} },
});

const CASES: [fixture: string, command: string, json: unknown][] = [
  ['deployment-web', 'create deployment web --image=hawser/echo --replicas=3',
    deployment('web', 3, [{ name: 'echo', image: 'hawser/echo', resources: {} }])],
  ['deployment-multi', 'create deployment multi --image=hawser/echo --image=busybox:1.36 -n default',
    deployment('multi', 1, [{ name: 'echo', image: 'hawser/echo', resources: {} }, { name: 'busybox', image: 'busybox:1.36', resources: {} }], 'default')],
  // --replicas=0 arrives as an explicit 0 in a pointer field: it must not become the default 1.
  ['deployment-cmd', "create deployment cmd --image=busybox --port=8080 --replicas=0 -- sh -c 'sleep 1000'",
    deployment('cmd', 0, [{ name: 'busybox', image: 'busybox', command: ['sh', '-c', 'sleep 1000'], ports: [{ containerPort: 8080 }], resources: {} }])],
  ['role', 'create role pod-reader --verb=get,list,watch --resource=pods,pods/status,deployments.apps --resource-name=p1 --resource-name=p2', {
    apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'pod-reader' },
    rules: [
      // The core group is an explicit "" element of a repeated string: kept, not dropped.
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'pods/status'], resourceNames: ['p1', 'p2'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['p1', 'p2'] },
    ],
  }],
  ['rolebinding', 'create rolebinding rb --role=pod-reader --user=alice --group=devs --serviceaccount=default:sa', {
    apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'rb' },
    subjects: [
      { kind: 'User', apiGroup: RBAC, name: 'alice' }, { kind: 'Group', apiGroup: RBAC, name: 'devs' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
    ],
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'pod-reader' },
  }],
  ['rolebinding-clusterrole', 'create rolebinding rb2 --clusterrole=view --user=bob', {
    apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'rb2' },
    subjects: [{ kind: 'User', apiGroup: RBAC, name: 'bob' }], roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
  }],
  ['clusterrole', 'create clusterrole cr2 --verb=get,list --resource=nodes,replicasets.apps', {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'cr2' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes'] }, { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['replicasets'] }],
  }],
  ['clusterrole-nonresource', "create clusterrole cr --verb=get --non-resource-url='/logs/*' --non-resource-url=/healthz", {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'cr' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/logs/*', '/healthz'] }],
  }],
  ['clusterrole-aggregation', 'create clusterrole agg --aggregation-rule=rbac.example.com/aggregate-to-monitoring=true', {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'agg' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] },
  }],
  ['clusterrolebinding', 'create clusterrolebinding crb --clusterrole=cr --user=alice --group=g --serviceaccount=kube-system:sa', {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'crb' },
    subjects: [
      { kind: 'User', apiGroup: RBAC, name: 'alice' }, { kind: 'Group', apiGroup: RBAC, name: 'g' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'kube-system' },
    ],
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cr' },
  }],
  ['secret-docker-registry', 'create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p', {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'reg' }, type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from('{"auths":{"r.example":{"username":"u","password":"p","auth":"dTpw"}}}').toString('base64') },
  }],
  ['service-externalname', 'create service externalname ext --external-name=example.com', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', labels: { app: 'ext' } },
    spec: { selector: { app: 'ext' }, type: 'ExternalName', externalName: 'example.com' },
  }],
  ['service-loadbalancer', 'create service loadbalancer lb --tcp=443:8443', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', labels: { app: 'lb' } },
    spec: { ports: [{ name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443 }], selector: { app: 'lb' }, type: 'LoadBalancer' },
  }],
  ['serviceaccount', 'create serviceaccount sa1', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } }],
];

describe('bodies of kubectl 1.32 typed create commands', () => {
  it.each(CASES)('%s (kubectl %s)', (name, _command, json) => {
    expect(decodeProtobufObject(fixture(name))).toEqual(json);
  });

  it('decodes a Deployment exactly as kubectl itself serialises it to JSON (--save-config)', () => {
    // `create deployment saved --image=nginx --port=80 --save-config` stores kubectl's own
    // JSON of the object it sends in an annotation: the decoded body must be that JSON,
    // less what encoding/json writes for unset values (creationTimestamp: null, status: {}).
    const obj = decodeProtobufObject(fixture('deployment-saved')) as { metadata: { annotations: Record<string, string> } };
    const lastApplied = JSON.parse(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']!, (k, v: unknown) =>
      (k === 'creationTimestamp' && v === null) || k === 'status' ? undefined : v) as Record<string, unknown>;
    const { annotations: _a, ...meta } = obj.metadata;
    expect({ ...obj, metadata: meta }).toEqual(lastApplied);
  });
});

describe('objects created from these bodies', () => {
  async function server() {
    const app = await createApiServer({ storage: new MemoryStorage() });
    const post = async (url: string, name: string) => {
      const r = await app.inject({ method: 'POST', url, payload: fixture(name), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
      return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    return { app, post };
  }

  it('stores Deployments with their template and upstream defaults, and keeps replicas 0', async () => {
    const { app, post } = await server();
    const web = await post('/apis/apps/v1/namespaces/default/deployments', 'deployment-web');
    expect(web.status).toBe(201);
    expect(web.body.spec).toMatchObject({
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'echo', image: 'hawser/echo' }] } },
    });
    const cmd = await post('/apis/apps/v1/namespaces/default/deployments', 'deployment-cmd');
    expect(cmd.status).toBe(201);
    expect(cmd.body.spec.replicas).toBe(0);
    expect(cmd.body.spec.template.spec.containers[0]).toMatchObject({ command: ['sh', '-c', 'sleep 1000'], ports: [{ containerPort: 8080 }] });
    await app.close();
  });

  it('stores Roles, ClusterRoles and their bindings', async () => {
    const { app, post } = await server();
    const rbac = `/apis/${RBAC}/v1`;
    for (const [url, name] of [
      [`${rbac}/namespaces/default/roles`, 'role'], [`${rbac}/namespaces/default/rolebindings`, 'rolebinding'],
      [`${rbac}/clusterroles`, 'clusterrole'], [`${rbac}/clusterroles`, 'clusterrole-aggregation'],
      [`${rbac}/clusterrolebindings`, 'clusterrolebinding'],
    ] as const) {
      const r = await post(url, name);
      expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(201);
    }
    const role = await app.inject({ url: `${rbac}/namespaces/default/roles/pod-reader` });
    expect(JSON.parse(role.body).rules[0]).toEqual({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'pods/status'], resourceNames: ['p1', 'p2'] });
    const crb = await app.inject({ url: `${rbac}/clusterrolebindings/crb` });
    expect(JSON.parse(crb.body).roleRef).toEqual({ apiGroup: RBAC, kind: 'ClusterRole', name: 'cr' });
    await app.close();
  });
});

// The agent's RBAC (deploy/rbac.yaml) against what its code calls. The calls are read
// from the source, statically: every KindSpec of src/client/kinds.ts that src/agent/**
// uses is one informer (list + watch of its path), and every REST call on an API client
// (`api.get/post/put/patch/delete/stream(path)`) is one verb on the path it names. A new
// watch or call without a rule fails here, and so does a rule (or a cluster-wide rule
// where a namespace is enough) that nothing needs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'hawser-agent' };

/** One API access: `namespace` undefined = cluster-scoped or across all namespaces. */
interface Access { group: string; resource: string; verb: string; namespace?: string; where: string }
/** One granted verb: scope '*' = a ClusterRole (everywhere), else a Role's namespace. */
interface Grant { group: string; resource: string; verb: string; scope: string; role: string }

const key = (a: { group: string; resource: string; verb: string }) => `${a.group || 'core'}/${a.resource}:${a.verb}`;

/** Comments and import statements out: an imported name is not a use. */
function code(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/^import[\s\S]*?from\s+'[^']*';/gm, '');
}

/** `export const NAME: KindSpec<…> = { path: '…'` → NAME → path. */
export function kindPaths(kindsSrc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of kindsSrc.matchAll(/export const (\w+): KindSpec<[^>]*> = \{\s*path: '([^']+)'/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** A resource path (placeholders `{x}` for names not known statically) → what RBAC sees. */
export function accessOfPath(path: string, method: string, where: string): Access {
  const seg = path.split('?')[0]!.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (seg[0] === 'api' && seg[1] === 'v1') [group, rest] = ['', seg.slice(2)];
  else if (seg[0] === 'apis' && seg.length >= 3) [group, rest] = [seg[1]!, seg.slice(3)];
  else throw new Error(`${where}: not a resource path: ${path}`);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] === '{x}' ? undefined : rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource || resource === '{x}') throw new Error(`${where}: no resource in ${path}`);
  const named = name !== undefined;
  const verb = ({
    GET: named ? 'get' : 'list', WATCH: 'watch', POST: 'create', PUT: 'update', PATCH: 'patch',
    DELETE: named ? 'delete' : 'deletecollection',
  } as Record<string, string>)[method];
  if (!verb) throw new Error(`${where}: unknown method ${method}`);
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb, namespace, where };
}

const CLIENT_METHODS: Record<string, string> = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE', stream: 'WATCH' };

/**
 * Every access in the agent's sources. `${NAME}` in a path is replaced by a string
 * constant of that name from any scanned file, or by a placeholder; a path argument that
 * is a variable must be a `const` of the same file, or the scan fails (rather than miss it).
 */
export function scanAgent(files: Record<string, string>, kinds: Map<string, string>): Access[] {
  const constants = new Map<string, string>();
  for (const src of Object.values(files)) {
    for (const m of src.matchAll(/const (\w+) = '([^']*)'/g)) constants.set(m[1]!, m[2]!);
  }
  const expand = (s: string, local: Map<string, string>): string =>
    s.replace(/\$\{\s*(\w+)\s*\}|\$\{[^}]*\}/g, (_, id: string | undefined) => {
      const v = id === undefined ? undefined : local.get(id) ?? constants.get(id);
      return v === undefined ? '{x}' : expand(v, local);
    });
  const out: Access[] = [];
  for (const [file, src] of Object.entries(files)) {
    const body = code(src);
    for (const [name, path] of kinds) {
      if (!new RegExp(`\\b${name}\\b`).test(body)) continue;
      out.push(accessOfPath(path, 'GET', `${file}: ${name}`), accessOfPath(path, 'WATCH', `${file}: ${name}`));
    }
    const local = new Map<string, string>();
    for (const m of body.matchAll(/const (\w+) = (`[^`]*`|'[^']*')/g)) local.set(m[1]!, m[2]!.slice(1, -1));
    const call = /([\w.]+)\.(get|post|put|patch|delete|stream)(?:<[^>()]*>)?\(\s*(`[^`]*`|'[^']*'|[\w$]+)/g;
    for (const m of body.matchAll(call)) {
      // Only API clients: Map.get(key), Set.delete(x) … are not API calls.
      if (!/(^|\.)(api|rest|client)$/i.test(m[1]!)) continue;
      const arg = m[3]!;
      const raw = /^[`']/.test(arg) ? arg.slice(1, -1) : local.get(arg);
      if (raw === undefined) throw new Error(`${file}: ${m[0]}: the path is not a literal or a const of this file; extend the scan`);
      out.push(accessOfPath(expand(raw, local), CLIENT_METHODS[m[2]!]!, `${file}: ${m[0]}`));
    }
  }
  return out;
}

interface Doc { kind: string; metadata: { name: string; namespace?: string }; rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace?: string }[] }

/** What the manifests grant the agent's ServiceAccount, rule by rule, verb by verb. */
export function grantsOf(docs: Doc[]): Grant[] {
  const roles = new Map(docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')
    .map((d) => [`${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`, d]));
  const out: Grant[] = [];
  for (const b of docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
    if (!b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === SERVICE_ACCOUNT.name && s.namespace === SERVICE_ACCOUNT.namespace)) continue;
    const scope = b.kind === 'ClusterRoleBinding' ? '*' : b.metadata.namespace!;
    const roleNs = b.roleRef!.kind === 'Role' ? b.metadata.namespace! : '';
    const role = roles.get(`${b.roleRef!.kind}/${roleNs}/${b.roleRef!.name}`);
    if (!role) throw new Error(`${b.kind} ${b.metadata.name} refers to a missing ${b.roleRef!.kind} ${b.roleRef!.name}`);
    for (const r of role.rules ?? []) {
      for (const group of r.apiGroups ?? []) for (const resource of r.resources ?? []) for (const verb of r.verbs ?? []) {
        out.push({ group, resource, verb, scope, role: `${role.kind} ${role.metadata.name}` });
      }
    }
  }
  return out;
}

const covers = (g: Grant, a: Access) => key(g) === key(a) && (g.scope === '*' || g.scope === a.namespace);
/** A grant is needed when some access is covered by it and by no narrower grant. */
const needs = (g: Grant, a: Access) => key(g) === key(a) && (g.scope === '*' ? a.namespace === undefined : g.scope === a.namespace);

export function compare(accesses: Access[], grants: Grant[]): { missing: string[]; unused: string[] } {
  const missing = accesses.filter((a) => !grants.some((g) => covers(g, a))).map((a) => `${key(a)} in ${a.namespace ?? 'all namespaces'} (${a.where})`);
  const unused = grants.filter((g) => !accesses.some((a) => needs(g, a))).map((g) => `${key(g)} in ${g.scope === '*' ? 'all namespaces' : g.scope} (${g.role})`);
  return { missing: [...new Set(missing)].sort(), unused: [...new Set(unused)].sort() };
}

function agentSources(): Record<string, string> {
  const dir = join(ROOT, 'src/agent');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return Object.fromEntries(files.map((f) => [`src/agent/${f}`, readFileSync(join(dir, f), 'utf8')]));
}

const manifests = () => parseAllDocuments(readFileSync(join(ROOT, 'deploy/rbac.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
const kinds = () => kindPaths(readFileSync(join(ROOT, 'src/client/kinds.ts'), 'utf8'));

describe('deploy/rbac.yaml', () => {
  it('grants exactly what the agent code uses: no call without a rule, no rule without a call', () => {
    const accesses = scanAgent(agentSources(), kinds());
    expect(compare(accesses, grantsOf(manifests()))).toEqual({ missing: [], unused: [] });
  });

  it('the scan finds the informers and the Lease calls (it is not vacuous)', () => {
    const seen = new Set(scanAgent(agentSources(), kinds()).map((a) => `${key(a)}@${a.namespace ?? '*'}`));
    expect(kinds().size).toBeGreaterThanOrEqual(6);
    for (const want of ['core/nodes:list@*', 'core/nodes:watch@*', 'discovery.k8s.io/endpointslices:watch@*', 'networking.k8s.io/networkpolicies:list@*']) {
      expect(seen).toContain(want);
    }
    expect([...seen].some((s) => s.startsWith('coordination.k8s.io/leases:'))).toBe(true);
  });

  it('uses no wildcards and no resourceNames (least privilege, and the comparison above needs exact names)', () => {
    for (const d of manifests()) {
      for (const r of d.rules ?? []) {
        expect([...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])]).not.toContain('*');
        expect(r.resourceNames).toBeUndefined();
      }
    }
  });

  it('the DaemonSet runs as the bound ServiceAccount', () => {
    const ds = parseAllDocuments(readFileSync(join(ROOT, 'deploy/daemonset.yaml'), 'utf8'))[0]!.toJS() as { metadata: { namespace: string }; spec: { template: { spec: { serviceAccountName: string } } } };
    expect({ namespace: ds.metadata.namespace, name: ds.spec.template.spec.serviceAccountName }).toEqual(SERVICE_ACCOUNT);
  });
});

describe('the scan and the comparison', () => {
  const KINDS = "export const WIDGETS: KindSpec<V1Widget> = {\n  path: '/apis/example.io/v1/widgets',";
  const grants = grantsOf(manifests());

  it('a new watch without a rule is missing', () => {
    const src = { 'x.ts': "import { WIDGETS } from '../client/kinds.js';\nsubscribe(WIDGETS, subs);" };
    expect(compare(scanAgent(src, kindPaths(KINDS)), grants).missing).toEqual([
      'example.io/widgets:list in all namespaces (x.ts: WIDGETS)', 'example.io/widgets:watch in all namespaces (x.ts: WIDGETS)',
    ]);
  });

  it('an import alone, or a name in a comment, is not a watch', () => {
    const src = { 'x.ts': "import { WIDGETS } from '../client/kinds.js';\n// WIDGETS later\n" };
    expect(scanAgent(src, kindPaths(KINDS))).toEqual([]);
  });

  it('REST calls: verbs from method and path, constants and local paths resolved, non-API receivers ignored', () => {
    const src = {
      'a.ts': "export const NS = 'kube-system';\nconst path = `/api/v1/namespaces/${NS}/events`;\nawait api.post(path, e);\nawait this.o.api.patch(`${path}/${name}`, p);\nseen.delete(key);",
      'b.ts': "await rest.get(`/api/v1/nodes/${n}/status`);\nawait api.delete(`/apis/example.io/v1/namespaces/${ns}/widgets`);",
    };
    expect(scanAgent(src, new Map()).map((a) => `${key(a)}@${a.namespace ?? '*'}`)).toEqual([
      'core/events:create@kube-system', 'core/events:patch@kube-system', 'core/nodes/status:get@*', 'example.io/widgets:deletecollection@*',
    ]);
  });

  it('a path it cannot resolve fails the scan instead of being missed', () => {
    expect(() => scanAgent({ 'c.ts': 'await api.get(pathFromElsewhere);' }, new Map())).toThrow(/not a literal or a const/);
  });

  it('a rule nothing uses, and a cluster-wide rule where a namespace is enough, are unused', () => {
    const accesses = [{ group: 'coordination.k8s.io', resource: 'leases', verb: 'patch', namespace: 'kube-node-lease', where: 'x' }];
    const extra: Grant[] = [
      { group: '', resource: 'secrets', verb: 'get', scope: '*', role: 'ClusterRole extra' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'patch', scope: '*', role: 'ClusterRole broad' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'patch', scope: 'kube-node-lease', role: 'Role narrow' },
    ];
    expect(compare(accesses, extra)).toEqual({
      missing: [],
      unused: ['coordination.k8s.io/leases:patch in all namespaces (ClusterRole broad)', 'core/secrets:get in all namespaces (ClusterRole extra)'],
    });
  });
});

// Reading a kubeconfig into TLS options and credentials, without @kubernetes/client-node:
// importing that package costs ≈ 120 MiB RSS per process (measured: a bare
// `import('@kubernetes/client-node')` → 124 MiB), more than the rest of the kubelet, and
// a lab runs one kubelet per node. The subset read here is what the lab, the apiserver's
// admin.kubeconfig and kubeadm-style configs use: server, CA, insecure-skip-tls-verify,
// tls-server-name, bearer token (inline or file), client certificate and key.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface ClusterAccess {
  server: URL;
  ca?: Buffer;
  insecure: boolean;
  servername?: string;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }
type Fields = Record<string, unknown>;

function pick(list: unknown, name: string | undefined, what: string): Fields {
  const items = (Array.isArray(list) ? list : []) as Named<Fields>[];
  const hit = name === undefined ? items[0] : items.find((i) => i.name === name);
  if (!hit) throw new Error(`kubeconfig: no ${what} ${name ?? ''}`.trim());
  return (hit.cluster ?? hit.user ?? hit.context ?? {}) as Fields;
}

/** Pure: the parsed document → access data; `read` loads referenced files. */
export function accessFromKubeconfig(text: string, read: (path: string) => Buffer): ClusterAccess {
  const doc = (parse(text) ?? {}) as Fields;
  const contextName = typeof doc['current-context'] === 'string' && doc['current-context'] !== '' ? doc['current-context'] : undefined;
  const ctx = Array.isArray(doc.contexts) && doc.contexts.length > 0 ? pick(doc.contexts, contextName, 'context') : {};
  const cluster = pick(doc.clusters, ctx.cluster as string | undefined, 'cluster');
  const user = Array.isArray(doc.users) && doc.users.length > 0 ? pick(doc.users, ctx.user as string | undefined, 'user') : {};
  const data = (inline: unknown, file: unknown): Buffer | undefined =>
    typeof inline === 'string' ? Buffer.from(inline, 'base64') : typeof file === 'string' ? read(file) : undefined;
  if (typeof cluster.server !== 'string') throw new Error('kubeconfig: cluster has no server');
  const token = typeof user.token === 'string' ? user.token
    : typeof user.tokenFile === 'string' ? read(user.tokenFile).toString('utf8').trim() : undefined;
  return {
    server: new URL(cluster.server),
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    token,
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
  };
}

/** Relative file references are relative to the kubeconfig's own directory (kubectl's rule). */
export function loadAccess(path: string): ClusterAccess {
  const base = dirname(path);
  return accessFromKubeconfig(readFileSync(path, 'utf8'), (p) => readFileSync(isAbsolute(p) ? p : join(base, p)));
}

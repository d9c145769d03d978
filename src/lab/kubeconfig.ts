// The lab's kubeconfig for the machine itself: the apiserver's admin kubeconfig, pointed
// at the root-namespace forwarder on 127.0.0.1. TLS passes through the forwarders, so
// the serving certificate must name 127.0.0.1 (lab up passes --tls-san 127.0.0.1); for a
// certificate without it, `tlsServerName` verifies against a name it does carry.
import { parse, stringify } from 'yaml';

interface KubeconfigDoc {
  clusters?: { name: string; cluster: Record<string, unknown> & { server?: string } }[];
  contexts?: { name: string; context: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  'current-context'?: string;
  [k: string]: unknown;
}

export function hostKubeconfig(adminYaml: string, localPort: number, labName: string, tlsServerName?: string): string {
  const doc = parse(adminYaml) as KubeconfigDoc;
  if (!doc?.clusters?.length) throw new Error('admin kubeconfig has no clusters');
  const contextName = `hawser-lab-${labName}`;
  const clusterName = contextName;
  const current = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  const src = doc.clusters.find((c) => c.name === current?.context.cluster) ?? doc.clusters[0]!;
  const server = new URL(String(src.cluster.server));
  const cluster: Record<string, unknown> = { ...src.cluster, server: `${server.protocol}//127.0.0.1:${localPort}` };
  if (tlsServerName) cluster['tls-server-name'] = tlsServerName;
  const userName = String(current?.context.user ?? doc.users?.[0]?.name ?? 'admin');
  const user = doc.users?.find((u) => u.name === userName) ?? doc.users?.[0];
  const out: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster }],
    users: user ? [{ name: contextName, user: user.user }] : [],
    contexts: [{ name: contextName, context: { cluster: clusterName, user: contextName, namespace: 'default' } }],
    'current-context': contextName,
  };
  return stringify(out);
}

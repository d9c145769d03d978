// The small REST client (src/kubelet/rest.ts) over the same credentials client-node
// loaded: the agent writes a few objects (its Lease) with exact merge-patch content types
// and MicroTime strings that client-node's typed serialisation would reformat.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from '../kubelet/kubeconfig.js';
import { Rest } from '../kubelet/rest.js';

const file = (data?: string, path?: string): Buffer | undefined =>
  data ? Buffer.from(data, 'base64') : path ? readFileSync(path) : undefined;

export function accessFromKubeConfig(kc: KubeConfig): ClusterAccess {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const user = kc.getCurrentUser();
  // In-cluster configs carry the service account token as a file that kubelet rotates.
  const tokenFile = (user?.authProvider as { config?: { tokenFile?: string } } | undefined)?.config?.tokenFile;
  const token = user?.token ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  return {
    server: new URL(cluster.server),
    ca: file(cluster.caData, cluster.caFile),
    insecure: cluster.skipTLSVerify === true,
    servername: cluster.tlsServerName,
    token,
    cert: file(user?.certData, user?.certFile),
    key: file(user?.keyData, user?.keyFile),
  };
}

export const restFromKubeConfig = (kc: KubeConfig): Rest => new Rest(accessFromKubeConfig(kc));

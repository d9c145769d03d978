// Loading a kubeconfig for the node components (agent, kubelet). client-node refuses
// plain-http servers unless the cluster says insecure-skip-tls-verify (REFERENCE.md).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${path ?? '(default)'} has no current cluster`);
  return kc;
}

// kubeconfig files for clients of this apiserver (kubectl, client-node, the agents).
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCert?: string;
  token: string;
  user?: string;
  namespace?: string;
}

export function renderKubeconfig(k: KubeconfigInput): string {
  const cluster: Record<string, unknown> = { server: k.server };
  if (k.caCert) cluster['certificate-authority-data'] = Buffer.from(k.caCert).toString('base64');
  // client-node refuses plain http unless told to skip TLS verification (REFERENCE.md).
  else if (k.server.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  const user = k.user ?? 'admin';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'hawser', cluster }],
    users: [{ name: user, user: { token: k.token } }],
    contexts: [{ name: `${user}@hawser`, context: { cluster: 'hawser', user, namespace: k.namespace ?? 'default' } }],
    'current-context': `${user}@hawser`,
    preferences: {},
  });
}

// Objects a fresh cluster has (upstream's system namespaces and the bootstrap RBAC
// policy in plugin/pkg/auth/authorizer/rbac/bootstrappolicy): created when missing, never
// overwritten, so a restart keeps whatever the admin changed.
import type { KubeObject } from '../k8s/types.js';
import { isApiError } from './errors.js';
import type { Rest } from './rest.js';
import { bootstrapRbac } from './auth/bootstrap-policy.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(rest: Rest, group: string, version: string, resource: string, obj: KubeObject): Promise<void> {
  const def = rest.registry.get(group, version, resource);
  if (!def) return;
  try {
    await rest.create(def, obj.metadata.namespace, obj, { fieldManager: 'hawser-bootstrap' });
  } catch (e) {
    if (!(isApiError(e) && e.reason === 'AlreadyExists')) throw e;
  }
}

export async function bootstrap(rest: Rest): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) await ensure(rest, '', 'v1', 'namespaces', { metadata: { name } });
  for (const obj of bootstrapRbac()) {
    const resource = `${obj.kind!.toLowerCase()}s`;
    await ensure(rest, 'rbac.authorization.k8s.io', 'v1', resource, obj);
  }
}

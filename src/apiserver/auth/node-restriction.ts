// NodeRestriction (upstream plugin/pkg/admission/noderestriction): a node identity
// (`system:node:<name>` in group system:nodes) may write only its own Node object and
// only the pods bound to it. RBAC says *what kinds* a node may write; this says *which
// objects* — the part RBAC cannot express.
import { isPlainObject } from '../../k8s/types.js';
import { forbidden } from '../errors.js';
import type { AdmissionContext, AdmissionPlugin } from '../admission.js';
import { NODE_GROUP } from './bootstrap-policy.js';

const NODE_USER = /^system:node:(.+)$/;

export function nodeName(user: AdmissionContext['user']): string | undefined {
  if (!user || !user.groups.includes(NODE_GROUP)) return undefined;
  return NODE_USER.exec(user.name)?.[1];
}

function boundNode(o: AdmissionContext['object']): unknown {
  return o && isPlainObject(o.spec) ? o.spec.nodeName : undefined;
}

export const nodeRestriction: AdmissionPlugin = {
  name: 'NodeRestriction',
  resources: ['/nodes', '/pods'],
  validate(ctx) {
    const node = nodeName(ctx.user);
    if (node === undefined) return;
    const who = `node "${node}"`;
    if (ctx.def.resource === 'nodes' && ctx.name !== node) {
      throw forbidden(`nodes "${ctx.name}" is forbidden: ${who} is not allowed to modify node "${ctx.name}"`, { group: '', resource: 'nodes' }, ctx.name);
    }
    if (ctx.def.resource === 'pods') {
      const target = boundNode(ctx.old) ?? boundNode(ctx.object);
      if (target !== node) {
        throw forbidden(`pods "${ctx.name}" is forbidden: ${who} can only ${ctx.op.toLowerCase()} pods bound to itself`, { group: '', resource: 'pods' }, ctx.name);
      }
    }
  },
};

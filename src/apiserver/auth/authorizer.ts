// Authorization attributes (k8s.io/apiserver authorizer.Attributes) and the interface
// every authorizer implements. system:masters is always allowed, as upstream's
// privileged-group authorizer comes first in the chain.
import { MASTERS_GROUP, type UserInfo } from './tokens.js';

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export type Attributes = { resource: ResourceAttributes } | { nonResource: NonResourceAttributes };

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: Attributes): Promise<Decision>;
}

export const allowAll: Authorizer = { authorize: async () => ({ allowed: true }) };

export function withMasters(inner: Authorizer): Authorizer {
  return {
    async authorize(user, attrs) {
      if (user.groups.includes(MASTERS_GROUP)) return { allowed: true };
      return inner.authorize(user, attrs);
    },
  };
}

/** The message upstream's Forbidden error carries. */
export function forbiddenMessage(user: UserInfo, a: ResourceAttributes): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = a.name ? `${res} "${a.name}"` : res;
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : a.name ? '' : ' at the cluster scope';
  return `${what} is forbidden: User "${user.name}" cannot ${a.verb} resource "${res}" in API group "${a.group}"${scope}`;
}

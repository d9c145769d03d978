// Resource URL parsing, as k8s.io/apiserver's RequestInfoFactory: /api/v1/... and
// /apis/<group>/<version>/... followed by [namespaces/<ns>/]<resource>[/<name>[/<sub>]].
export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'other' };

export function parseApiPath(urlPath: string): ParsedPath {
  const segs = urlPath.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else {
    return { kind: 'other' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  if (rest.length > 5) return { kind: 'other' };
  let namespace: string | undefined;
  // namespaces/<ns>/<resource>… — but namespaces/<name>[/status|finalize] is the
  // Namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && group === '' && ['status', 'finalize'].includes(rest[2]!))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { kind: 'other' };
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  return { kind: 'resource', path: { group, version, namespace, resource, name, subresource } };
}

// Strategic-merge-patch metadata for the built-in types: which lists merge by which key
// (the `patchMergeKey`/`patchStrategy:"merge"` struct tags in k8s.io/api). Paths are field
// names from the object root with `[]` for "an item of this list". Lists not named here
// are atomic (replaced whole), as for types without the tags (e.g. NetworkPolicy rules).

const podSpecLists: [string, string][] = [
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['ephemeralContainers', 'name'],
  ['volumes', 'name'],
  ['imagePullSecrets', 'name'],
  ['hostAliases', 'ip'],
  ['topologySpreadConstraints', 'topologyKey'],
];

const containerLists: [string, string][] = [
  ['ports', 'containerPort'],
  ['env', 'name'],
  ['volumeMounts', 'mountPath'],
  ['volumeDevices', 'devicePath'],
];

function podSpecKey(rest: string[]): string | undefined {
  if (rest.length === 1) return podSpecLists.find(([f]) => f === rest[0])?.[1];
  if (rest.length === 3 && ['containers', 'initContainers', 'ephemeralContainers'].includes(rest[0]!) && rest[1] === '[]') {
    return containerLists.find(([f]) => f === rest[2])?.[1];
  }
  return undefined;
}

/** Merge key for the list at `path`, or undefined when the list is atomic. */
export function mergeKeyFor(path: string[]): string | undefined {
  const p = path.join('.');
  // Merge keys that hold everywhere (ObjectMeta, conditions).
  if (p === 'metadata.ownerReferences') return 'uid';
  if (path[path.length - 1] === 'conditions' && path[path.length - 2] === 'status') return 'type';
  if (p === 'spec.ports') return 'port'; // Service
  if (p === 'status.addresses') return 'type'; // Node
  if (p === 'spec.taints') return undefined;
  if (path[0] === 'spec' && path[1] !== 'template') return podSpecKey(path.slice(1));
  if (path[0] === 'spec' && path[1] === 'template' && path[2] === 'spec') return podSpecKey(path.slice(3));
  return undefined;
}

/** Lists of scalars that merge as sets (`patchStrategy:"merge"` on []string). */
export function isMergedScalarList(path: string[]): boolean {
  return path.join('.') === 'metadata.finalizers';
}

// Where named network namespaces live: iproute2's convention, which `ip netns`,
// nsenter and container runtimes all share.
export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`invalid netns name: ${JSON.stringify(name)}`);
  return `${NETNS_DIR}/${name}`;
}

/**
 * A namespace reference is either a name under /run/netns or an absolute path to a
 * namespace file: CNI_NETNS is a path such as /proc/<pid>/ns/net or /var/run/netns/cni-…
 * (CNI SPEC "Parameters"), so the CNI plugin must be able to pass it through unchanged.
 */
export function resolveNetns(ref: string): string {
  if (ref.startsWith('/')) {
    // No "..", no whitespace: the path is handed to nsenter/ip as one argv element, but
    // a traversal would let a caller escape to a file that is not a namespace.
    if (!/^(\/[A-Za-z0-9_.:@-]+)+$/.test(ref) || ref.split('/').includes('..')) {
      throw new Error(`invalid netns path: ${JSON.stringify(ref)}`);
    }
    return ref;
  }
  return netnsPath(ref);
}

// Where named network namespaces live: iproute2's convention, which `ip netns`,
// nsenter and container runtimes all share.
export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`invalid netns name: ${JSON.stringify(name)}`);
  return `${NETNS_DIR}/${name}`;
}

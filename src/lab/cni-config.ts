// The CNI configuration of a lab node when it uses the reference plugins (Debian's
// containernetworking-plugins: bridge + host-local) instead of hawser's own plugin —
// the fallback while hawser's plugin is not installed, and a side-by-side reference.
// The bridge name and the node's pod CIDR are the same ones hawser's plugin uses, so the
// node network looks alike either way.
export const REFERENCE_CNI_BIN_DIR = '/usr/lib/cni';
export const LAB_NETWORK_NAME = 'hawser-lab';

export function referenceConflist(podCIDR: string, ipamDataDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: LAB_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: 'hawser0',
        isGateway: true,
        // No masquerade: lab traffic stays in 192.168.56.0/24 and the pod CIDRs, and the
        // echo servers must see the client's real source address.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: podCIDR }]],
          routes: [{ dst: '0.0.0.0/0' }],
          // Per node: host-local's default /var/lib/cni/networks would be shared by all
          // lab nodes on this one machine and hand out one node's addresses twice.
          dataDir: ipamDataDir,
        },
      },
    ],
  }, null, 2) + '\n';
}

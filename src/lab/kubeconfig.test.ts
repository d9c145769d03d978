import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hostKubeconfig } from './kubeconfig.js';
import { referenceConflist } from './cni-config.js';

const admin = `apiVersion: v1
kind: Config
clusters:
- name: hawser
  cluster:
    server: https://192.168.56.5:6443
    certificate-authority-data: Q0E=
users:
- name: admin
  user:
    token: secret-token
contexts:
- name: admin@hawser
  context: { cluster: hawser, user: admin }
current-context: admin@hawser
`;

describe('hostKubeconfig', () => {
  it('points at the loopback forwarder, same CA and credentials', () => {
    const doc = parse(hostKubeconfig(admin, 40123, 'lab', '192.168.56.5'));
    expect(doc['current-context']).toBe('hawser-lab-lab');
    expect(doc.clusters[0].cluster).toEqual({ server: 'https://127.0.0.1:40123', 'certificate-authority-data': 'Q0E=', 'tls-server-name': '192.168.56.5' });
    expect(doc.users[0].user).toEqual({ token: 'secret-token' });
    expect(doc.contexts[0].context).toMatchObject({ cluster: 'hawser-lab-lab', user: 'hawser-lab-lab' });
  });

  it('sets no server name unless asked (the certificate carries 127.0.0.1)', () => {
    const doc = parse(hostKubeconfig(admin, 1, 'x'));
    expect(doc.clusters[0].cluster['tls-server-name']).toBeUndefined();
  });

  it('refuses a kubeconfig without clusters', () => {
    expect(() => hostKubeconfig('users: []', 1, 'x')).toThrow(/no clusters/);
  });
});

describe('referenceConflist', () => {
  it('is a bridge + host-local list on the node\'s pod CIDR with a per-node IPAM dir', () => {
    const j = JSON.parse(referenceConflist('10.244.3.0/24', '/run/x/ipam'));
    expect(j.plugins.map((p: { type: string }) => p.type)).toEqual(['bridge']);
    expect(j.plugins[0].ipam).toMatchObject({ type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], dataDir: '/run/x/ipam' });
    expect(j.plugins[0]).toMatchObject({ bridge: 'hawser0', isGateway: true, ipMasq: false });
  });
});

// The `kubernetes` Service in `default`, as kube-apiserver's controlplane reconciler keeps
// it: the first address of the service CIDR, port 443 "https" to the apiserver's port,
// no selector, and its Endpoints/EndpointSlice written by the apiserver itself (labelled
// skip-mirror, without the endpointslice controller's managed-by label).
import { isApiError } from '../../apiserver/errors.js';
import type { ControllerContext } from '../runtime/controller.js';
import type { EndpointSlice, Endpoints, Namespace, Service } from '../types.js';
import { addressFamilyOf } from '../../net/address.js';

export interface ApiserverEndpoint {
  /** The address pods use to reach the apiserver (--advertise-address). */
  address: string;
  port: number;
}

const ignoreExists = (e: unknown) => {
  if (!(isApiError(e) && e.reason === 'AlreadyExists')) throw e;
};

export async function ensureKubernetesService(ctx: ControllerContext, clusterIP: string, ep: ApiserverEndpoint): Promise<void> {
  const { client, informers } = ctx;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    if (!informers.cache('namespaces').get(undefined, name)) {
      await client.create<Namespace>('namespaces', { metadata: { name } }).catch(ignoreExists);
    }
  }
  const ports = [{ name: 'https', port: 443, protocol: 'TCP' as const, targetPort: ep.port }];
  if (!informers.cache('services').get('default', 'kubernetes')) {
    const svc: Service = {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP, ports, sessionAffinity: 'None' },
    };
    await client.create('services', svc).catch(ignoreExists);
  }
  const epPorts = [{ name: 'https', port: ep.port, protocol: 'TCP' }];
  const endpoints: Endpoints = {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: ep.address }], ports: epPorts }],
  };
  const curEp = informers.cache('endpoints').get('default', 'kubernetes') as unknown as Endpoints | undefined;
  if (!curEp) await client.create('endpoints', endpoints).catch(ignoreExists);
  else if (JSON.stringify(curEp.subsets) !== JSON.stringify(endpoints.subsets)) await client.update('endpoints', { ...curEp, subsets: endpoints.subsets });
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: addressFamilyOf(ep.address) === 6 ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [ep.address], conditions: { ready: true } }],
    ports: [{ name: 'https', port: ep.port, protocol: 'TCP' }],
  };
  const curSlice = informers.cache('discovery.k8s.io/endpointslices').get('default', 'kubernetes') as unknown as EndpointSlice | undefined;
  if (!curSlice) await client.create('discovery.k8s.io/endpointslices', slice).catch(ignoreExists);
  else if (JSON.stringify([curSlice.endpoints, curSlice.ports]) !== JSON.stringify([slice.endpoints, slice.ports])) {
    await client.update('discovery.k8s.io/endpointslices', { ...curSlice, endpoints: slice.endpoints, ports: slice.ports });
  }
}

// The synthetic cluster of bench/proxy: N ClusterIP Services with E endpoints each, as the
// informers would deliver them, plus the addressing plan shared by the proxier worker, the
// reference ruleset (kube-shape.ts) and the traffic topology (topology.ts).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { slice, svc } from '../../proxy/fixtures.js';

export const NS = 'bench';
export const SVC_PORT = 80;
/** The real backend's port behind the ClusterIP (the reference path uses another: README). */
export const TARGET_PORT = 8080;
export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';
/** Topology: client 10.244.1.2 — node — server 10.244.2.2 (both inside the cluster CIDR: no masquerade). */
export const CLIENT_IP = '10.244.1.2';
export const SERVER_IP = '10.244.2.2';
export const NODE_NAME = 'bench-node';

const v4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const SERVICE_BASE = (10 << 24) | (96 << 16);
/** Fake pods live in 10.244.128.0/17 (32k addresses, shared between Services like real pods). */
const POD_BASE = (10 << 24) | (244 << 16) | (128 << 8);
const POD_SPAN = 32_000;

export const serviceName = (i: number): string => `s${String(i).padStart(5, '0')}`;
/** From .0.10 on: .0.1 is kubernetes.default; 30k Services fit easily in the /16. */
export const serviceIP = (i: number): string => v4(SERVICE_BASE + 10 + i);
export const podIP = (k: number): string => v4(POD_BASE + (k % POD_SPAN));

export interface Cluster {
  services: V1Service[];
  slices: V1EndpointSlice[];
  /** Index of the Service whose only endpoint is the real server (traffic goes there). */
  target: number;
}

/** The endpoint addresses of Service i (the target's is the real server). */
export function endpointIPs(i: number, perService: number, target: number): string[] {
  if (i === target) return [SERVER_IP];
  return Array.from({ length: perService }, (_, j) => podIP(i * perService + j));
}

/** The target sits in the middle of the range, so nothing depends on it being first or last. */
export const targetOf = (n: number): number => Math.floor(n / 2);

export function endpointSlice(i: number, ips: string[]): V1EndpointSlice {
  return slice(serviceName(i), ips.map((ip) => ({ ip, node: 'other-node' })),
    [{ name: 'http', port: TARGET_PORT, protocol: 'TCP' }], { ns: NS, name: `${serviceName(i)}-1` });
}

export function buildCluster(n: number, perService: number): Cluster {
  const target = targetOf(n);
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    services.push(svc(serviceName(i), { ns: NS, clusterIP: serviceIP(i), ports: [{ name: 'http', port: SVC_PORT, protocol: 'TCP', targetPort: TARGET_PORT }] }));
    slices.push(endpointSlice(i, endpointIPs(i, perService, target)));
  }
  return { services, slices, target };
}

/** The address the k-th endpoint change moves an endpoint to (outside the fake pods' range). */
export const changedIP = (k: number): string => v4(POD_BASE - (64 << 8) + k);

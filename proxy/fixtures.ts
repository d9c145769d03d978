// Builders for Services, EndpointSlices and node configs used by the proxy's unit tests and
// the tracer tables. Shapes are exactly what the informers deliver (V1 objects).
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { NodeConfig } from './types.js';

export const NODE: NodeConfig = {
  nodeName: 'node-a',
  family: 'IPv4',
  nodeIPs: ['192.168.56.10'],
  clusterCIDRs: ['10.244.0.0/16'],
  serviceCIDRs: ['10.96.0.0/16'],
  scheduler: 'random',
};

export interface SvcOpts {
  ns?: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  ports?: V1ServicePort[];
  externalIPs?: string[];
  lbIPs?: string[];
  sourceRanges?: string[];
  etp?: 'Local' | 'Cluster';
  itp?: 'Local' | 'Cluster';
  affinity?: number;
  scheduler?: string;
  labels?: Record<string, string>;
  healthCheckNodePort?: number;
}

export function svc(name: string, o: SvcOpts = {}): V1Service {
  const s: V1Service = {
    metadata: { namespace: o.ns ?? 'default', name, labels: o.labels, annotations: o.scheduler ? { 'hawser.dev/scheduler': o.scheduler } : undefined },
    spec: {
      type: o.type ?? 'ClusterIP',
      clusterIP: o.clusterIP ?? '10.96.0.10',
      clusterIPs: o.clusterIP === 'None' ? ['None'] : [o.clusterIP ?? '10.96.0.10'],
      ports: o.ports ?? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      externalIPs: o.externalIPs,
      loadBalancerSourceRanges: o.sourceRanges,
      externalTrafficPolicy: o.etp,
      internalTrafficPolicy: o.itp,
      healthCheckNodePort: o.healthCheckNodePort,
      sessionAffinity: o.affinity ? 'ClientIP' : 'None',
      sessionAffinityConfig: o.affinity ? { clientIP: { timeoutSeconds: o.affinity } } : undefined,
    },
    status: o.lbIPs ? { loadBalancer: { ingress: o.lbIPs.map((ip) => ({ ip })) } } : {},
  };
  return s;
}

export interface EpOpts {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(
  service: string,
  eps: Array<EpOpts | string>,
  ports: Array<{ name?: string; port: number; protocol?: string }> = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  o: { ns?: string; name?: string; addressType?: string } = {},
): V1EndpointSlice {
  return {
    metadata: { namespace: o.ns ?? 'default', name: o.name ?? `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
    addressType: o.addressType ?? 'IPv4',
    ports,
    endpoints: eps.map((e) => {
      const x = typeof e === 'string' ? { ip: e } : e;
      return {
        addresses: [x.ip],
        nodeName: x.node ?? 'node-b',
        conditions: { ready: x.ready ?? true, serving: x.serving ?? x.ready ?? true, terminating: x.terminating ?? false },
      };
    }),
  };
}

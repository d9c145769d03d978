// The kubelet's Node object and its heartbeat: registration (create if missing), the
// status (addresses, capacity, conditions, node info) and the coordination.k8s.io Lease
// in kube-node-lease renewed every few seconds — the lightweight heartbeat upstream uses
// since 1.17, with the full status written less often.
import os from 'node:os';
import { ApiError, isNotFoundError, type Rest } from './rest.js';

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  /** Pods this kubelet will accept. */
  maxPods?: number;
}

export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
const VERSION = 'v1.32.0-hawser';

export function nodeObject(id: NodeIdentity): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.nodeName,
      labels: {
        'kubernetes.io/hostname': id.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
      },
      annotations: { 'hawser.dev/lab-kubelet': 'true' },
    },
    spec: {},
  };
}

export function nodeStatus(id: NodeIdentity, now: string, readySince: string): Record<string, unknown> {
  const capacity = {
    cpu: String(os.cpus().length),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: String(id.maxPods ?? 110),
    'ephemeral-storage': '10Gi',
  };
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: readySince,
  });
  return {
    addresses: [{ type: 'InternalIP', address: id.nodeIP }, { type: 'Hostname', address: id.nodeName }],
    capacity,
    allocatable: capacity,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '', kernelVersion: os.release(), osImage: 'hawser lab (network namespace)',
      containerRuntimeVersion: 'hawser://0.1.0', kubeletVersion: VERSION, kubeProxyVersion: '', operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeHeartbeat {
  private readySince = new Date().toISOString();

  constructor(private readonly api: Rest, private readonly id: NodeIdentity) {}

  async register(): Promise<void> {
    try {
      await this.api.get(`/api/v1/nodes/${this.id.nodeName}`);
    } catch (err) {
      if (!isNotFoundError(err)) throw err;
      await this.api.post('/api/v1/nodes', nodeObject(this.id)).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
      });
    }
    await this.updateStatus();
  }

  async updateStatus(): Promise<void> {
    const now = new Date().toISOString();
    await this.api.patch(`/api/v1/nodes/${this.id.nodeName}/status`, { status: nodeStatus(this.id, now, this.readySince) }, 'merge');
  }

  async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
    const spec = { holderIdentity: this.id.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(new Date()) };
    try {
      await this.api.patch(`${path}/${this.id.nodeName}`, { spec }, 'merge');
    } catch (err) {
      if (!isNotFoundError(err)) throw err;
      const lease = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.id.nodeName, namespace: LEASE_NAMESPACE },
        spec: { ...spec, acquireTime: spec.renewTime },
      };
      // kube-node-lease is a system namespace the apiserver creates; only where it is
      // missing (and we may create namespaces — a node identity may not) create it first.
      await this.api.post(path, lease).catch(async (e: unknown) => {
        if (!isNotFoundError(e)) throw e;
        await this.ensureLeaseNamespace();
        await this.api.post(path, lease);
      });
    }
  }

  private async ensureLeaseNamespace(): Promise<void> {
    await this.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } })
      .catch((e: unknown) => { if (!(e instanceof ApiError && e.status === 409)) throw e; });
  }
}

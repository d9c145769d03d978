// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the
// columns kubectl shows, computed as upstream's pkg/printers/internalversion does for the
// kinds networking people look at; everything else gets NAME and AGE.
import { isPlainObject, type KubeObject } from '../k8s/types.js';
import type { ResourceDef } from './registry.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  priority: number;
}

type Row = (o: KubeObject, now: number) => unknown[];

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  const d = Math.floor(h / 24);
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const obj = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const age = (o: KubeObject, now: number) => (o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');
const col = (name: string, priority = 0, type: Column['type'] = 'string', format?: string): Column => ({ name, type, priority, ...(format ? { format } : {}) });
const NAME = col('Name', 0, 'string', 'name');
const AGE = col('Age');

function selectorText(sel: unknown): string {
  const s = obj(sel);
  const parts = Object.entries(obj(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of arr(s.matchExpressions)) {
    const vals = Array.isArray(e.values) ? e.values.join(',') : '';
    parts.push(e.operator === 'Exists' ? String(e.key) : e.operator === 'DoesNotExist' ? `!${String(e.key)}` : `${String(e.key)} ${String(e.operator).toLowerCase()} (${vals})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function podRow(o: KubeObject, now: number): unknown[] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const statuses = arr(status.containerStatuses);
  const total = arr(spec.containers).length;
  const ready = statuses.filter((c) => c.ready === true).length;
  const restarts = statuses.reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);
  let reason = String(status.reason ?? status.phase ?? 'Pending');
  for (const c of statuses) {
    const st = obj(c.state);
    const w = obj(st.waiting);
    const t = obj(st.terminated);
    if (w.reason) reason = String(w.reason);
    else if (t.reason) reason = String(t.reason);
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return [o.metadata.name, `${ready}/${total}`, reason, restarts, age(o, now), status.podIP ?? '<none>', spec.nodeName ?? '<none>', status.nominatedNodeName ?? '<none>', '<none>'];
}

function servicePorts(spec: Record<string, unknown>): string {
  const ports = arr(spec.ports).map((p) => (p.nodePort ? `${String(p.port)}:${String(p.nodePort)}/${String(p.protocol ?? 'TCP')}` : `${String(p.port)}/${String(p.protocol ?? 'TCP')}`));
  return ports.length ? ports.join(',') : '<none>';
}

function serviceRow(o: KubeObject, now: number): unknown[] {
  const spec = obj(o.spec);
  const lb = arr(obj(obj(o.status).loadBalancer).ingress).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const ext = [...lb, ...(Array.isArray(spec.externalIPs) ? spec.externalIPs : [])] as string[];
  let external = ext.length ? ext.join(',') : '<none>';
  if (spec.type === 'LoadBalancer' && ext.length === 0) external = '<pending>';
  if (spec.type === 'ExternalName') external = String(spec.externalName ?? '<none>');
  const sel = Object.entries(obj(spec.selector)).map(([k, v]) => `${k}=${String(v)}`).join(',') || '<none>';
  return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP || '<none>', external, servicePorts(spec), age(o, now), sel];
}

function nodeRow(o: KubeObject, now: number): unknown[] {
  const status = obj(o.status);
  const readyCond = arr(status.conditions).find((c) => c.type === 'Ready');
  let st = readyCond ? (readyCond.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
  if (obj(o.spec).unschedulable) st += ',SchedulingDisabled';
  const roles = Object.keys(o.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice(24)).join(',') || '<none>';
  const info = obj(status.nodeInfo);
  const addr = (t: string) => arr(status.addresses).find((a) => a.type === t)?.address ?? '<none>';
  return [o.metadata.name, st, roles, age(o, now), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
}

function sliceRow(o: KubeObject, now: number): unknown[] {
  const ports = arr(o.ports).map((p) => String(p.port ?? '<unset>'));
  const addrs = arr(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses : [])) as string[];
  const shown = addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',') || '<none>';
  return [o.metadata.name, o.addressType ?? '', ports.length ? ports.join(',') : '<unset>', shown, age(o, now)];
}

function endpointsRow(o: KubeObject, now: number): unknown[] {
  const list: string[] = [];
  for (const s of arr(o.subsets)) {
    const ports = arr(s.ports);
    for (const a of arr(s.addresses)) for (const p of ports.length ? ports : [{}]) list.push(p.port ? `${String(a.ip)}:${String(p.port)}` : String(a.ip));
  }
  const shown = list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.join(',') || '<none>';
  return [o.metadata.name, shown, age(o, now)];
}

function deploymentRow(o: KubeObject, now: number): unknown[] {
  const spec = obj(o.spec);
  const st = obj(o.status);
  const cs = arr(obj(obj(spec.template).spec).containers);
  return [o.metadata.name, `${Number(st.readyReplicas ?? 0)}/${Number(spec.replicas ?? 0)}`, Number(st.updatedReplicas ?? 0), Number(st.availableReplicas ?? 0), age(o, now),
    cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(','), selectorText(spec.selector)];
}

const PRINTERS: Record<string, { columns: Column[]; row: Row }> = {
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 0, 'string'), AGE, col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    row: podRow,
  },
  '/services': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 1)],
    row: serviceRow,
  },
  '/nodes': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    row: nodeRow,
  },
  '/namespaces': { columns: [NAME, col('Status'), AGE], row: (o, now) => [o.metadata.name, obj(o.status).phase ?? 'Active', age(o, now)] },
  '/endpoints': { columns: [NAME, col('Endpoints'), AGE], row: endpointsRow },
  '/configmaps': { columns: [NAME, col('Data', 0, 'integer'), AGE], row: (o, now) => [o.metadata.name, Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, age(o, now)] },
  '/secrets': { columns: [NAME, col('Type'), col('Data', 0, 'integer'), AGE], row: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(obj(o.data)).length, age(o, now)] },
  'discovery.k8s.io/endpointslices': { columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE], row: sliceRow },
  'networking.k8s.io/networkpolicies': { columns: [NAME, col('Pod-Selector'), AGE], row: (o, now) => [o.metadata.name, selectorText(obj(o.spec).podSelector).replace('<none>', ''), age(o, now)] },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), AGE, col('Containers', 1), col('Images', 1), col('Selector', 1)],
    row: deploymentRow,
  },
};

export interface TableOptions {
  includeObject?: 'None' | 'Metadata' | 'Object';
  now?: number;
}

export function toTable(def: ResourceDef, items: KubeObject[], meta: Record<string, unknown>, opts: TableOptions = {}) {
  const printer = PRINTERS[`${def.group}/${def.resource}`] ?? { columns: [NAME, AGE], row: (o: KubeObject, now: number) => [o.metadata.name, age(o, now)] };
  const now = opts.now ?? Date.now();
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: printer.columns.map((c) => ({ description: '', ...c })),
    rows: items.map((o) => {
      const row: Record<string, unknown> = { cells: printer.row(o, now) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}

/** Whether an Accept header asks for a Table (kubectl get always offers JSON as fallback). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((p) => /as=Table/.test(p) && /g=meta\.k8s\.io/.test(p));
}

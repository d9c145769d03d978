// Protobuf request bodies (`application/vnd.kubernetes.protobuf`): the `k8s\0` magic, a
// runtime.Unknown envelope {typeMeta{apiVersion, kind}, raw}, and `raw` in the message
// layout of k8s.io/api's generated.proto. kubectl's typed `create namespace|configmap|
// secret|service` send these and do not retry as JSON after a 415, so the messages they
// use are decoded here by hand into the JSON shape; the server answers in JSON.
import { badRequest } from '../errors.js';
import { ProtobufError, readFields, type WireField } from './wire.js';

type Json = Record<string, unknown>;

/** A field's decoder: string, int, bool, bytes (→ base64, as JSON carries []byte), map, message. */
type FieldSpec =
  | { name: string; t: 'string' | 'int' | 'bool' | 'bytes'; repeated?: boolean }
  | { name: string; t: 'map'; value: 'string' | 'bytes' }
  | { name: string; t: 'msg'; msg: MessageSpec; repeated?: boolean }
  | { name: string; t: 'intOrString' }
  | { name: string; t: 'time' };

type MessageSpec = Record<number, FieldSpec>;

const ownerReference: MessageSpec = {
  5: { name: 'apiVersion', t: 'string' }, 1: { name: 'kind', t: 'string' }, 3: { name: 'name', t: 'string' },
  4: { name: 'uid', t: 'string' }, 6: { name: 'controller', t: 'bool' }, 7: { name: 'blockOwnerDeletion', t: 'bool' },
};

const objectMeta: MessageSpec = {
  1: { name: 'name', t: 'string' }, 2: { name: 'generateName', t: 'string' }, 3: { name: 'namespace', t: 'string' },
  5: { name: 'uid', t: 'string' }, 6: { name: 'resourceVersion', t: 'string' }, 7: { name: 'generation', t: 'int' },
  8: { name: 'creationTimestamp', t: 'time' }, 11: { name: 'labels', t: 'map', value: 'string' },
  12: { name: 'annotations', t: 'map', value: 'string' }, 13: { name: 'ownerReferences', t: 'msg', msg: ownerReference, repeated: true },
  14: { name: 'finalizers', t: 'string', repeated: true },
};

const servicePort: MessageSpec = {
  1: { name: 'name', t: 'string' }, 2: { name: 'protocol', t: 'string' }, 3: { name: 'port', t: 'int' },
  4: { name: 'targetPort', t: 'intOrString' }, 5: { name: 'nodePort', t: 'int' }, 6: { name: 'appProtocol', t: 'string' },
};

const serviceSpec: MessageSpec = {
  1: { name: 'ports', t: 'msg', msg: servicePort, repeated: true }, 2: { name: 'selector', t: 'map', value: 'string' },
  3: { name: 'clusterIP', t: 'string' }, 4: { name: 'type', t: 'string' }, 5: { name: 'externalIPs', t: 'string', repeated: true },
  7: { name: 'sessionAffinity', t: 'string' }, 8: { name: 'loadBalancerIP', t: 'string' },
  9: { name: 'loadBalancerSourceRanges', t: 'string', repeated: true }, 10: { name: 'externalName', t: 'string' },
  11: { name: 'externalTrafficPolicy', t: 'string' }, 12: { name: 'healthCheckNodePort', t: 'int' },
  13: { name: 'publishNotReadyAddresses', t: 'bool' }, 17: { name: 'ipFamilyPolicy', t: 'string' },
  18: { name: 'clusterIPs', t: 'string', repeated: true }, 19: { name: 'ipFamilies', t: 'string', repeated: true },
  20: { name: 'allocateLoadBalancerNodePorts', t: 'bool' }, 21: { name: 'loadBalancerClass', t: 'string' },
  22: { name: 'internalTrafficPolicy', t: 'string' },
};

const meta = { name: 'metadata', t: 'msg', msg: objectMeta } as const;

const KINDS: Record<string, MessageSpec> = {
  'v1/Namespace': { 1: meta, 2: { name: 'spec', t: 'msg', msg: { 1: { name: 'finalizers', t: 'string', repeated: true } } } },
  'v1/ConfigMap': { 1: meta, 2: { name: 'data', t: 'map', value: 'string' }, 3: { name: 'binaryData', t: 'map', value: 'bytes' }, 4: { name: 'immutable', t: 'bool' } },
  'v1/Secret': {
    1: meta, 2: { name: 'data', t: 'map', value: 'bytes' }, 3: { name: 'type', t: 'string' },
    4: { name: 'stringData', t: 'map', value: 'string' }, 5: { name: 'immutable', t: 'bool' },
  },
  'v1/Service': { 1: meta, 2: { name: 'spec', t: 'msg', msg: serviceSpec } },
  'v1/ServiceAccount': { 1: meta },
  // kubectl auth can-i
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: meta,
    2: {
      name: 'spec', t: 'msg', msg: {
        1: { name: 'resourceAttributes', t: 'msg', msg: Object.fromEntries(['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'].map((n, i) => [i + 1, { name: n, t: 'string' }])) as MessageSpec },
        2: { name: 'nonResourceAttributes', t: 'msg', msg: { 1: { name: 'path', t: 'string' }, 2: { name: 'verb', t: 'string' } } },
      },
    },
  },
};

function str(f: WireField): string {
  if (!f.bytes) throw new ProtobufError(`field ${f.no}: expected length-delimited`);
  return f.bytes.toString('utf8');
}

function int(f: WireField): number {
  if (f.varint === undefined) throw new ProtobufError(`field ${f.no}: expected varint`);
  return Number(BigInt.asIntN(64, f.varint));
}

function decodeMessage(buf: Buffer, spec: MessageSpec): Json {
  const out: Json = {};
  for (const f of readFields(buf)) {
    const s = spec[f.no];
    if (!s) continue; // unknown fields are skipped, as proto2 decoders do
    let v: unknown;
    switch (s.t) {
      case 'string': v = str(f); break;
      case 'bytes': v = (f.bytes ?? Buffer.alloc(0)).toString('base64'); break;
      case 'int': v = int(f); break;
      case 'bool': v = int(f) !== 0; break;
      case 'time': {
        const t = decodeMessage(f.bytes ?? Buffer.alloc(0), { 1: { name: 'seconds', t: 'int' } });
        // A zero Time is Go's "unset", which JSON leaves out.
        v = t.seconds ? new Date(Number(t.seconds) * 1000).toISOString().replace('.000Z', 'Z') : '';
        break;
      }
      case 'intOrString': {
        const io = decodeMessage(f.bytes ?? Buffer.alloc(0), { 1: { name: 'type', t: 'int' }, 2: { name: 'intVal', t: 'int' }, 3: { name: 'strVal', t: 'string' } });
        v = io.type === 1 ? (io.strVal ?? '') : (io.intVal ?? 0);
        break;
      }
      case 'map': {
        const e = decodeMessage(f.bytes ?? Buffer.alloc(0), { 1: { name: 'k', t: 'string' }, 2: { name: 'v', t: s.value } });
        const m = (out[s.name] ??= {}) as Json;
        m[String(e.k ?? '')] = e.v ?? '';
        continue;
      }
      case 'msg': v = decodeMessage(f.bytes ?? Buffer.alloc(0), s.msg); break;
    }
    if ('repeated' in s && s.repeated) ((out[s.name] ??= []) as unknown[]).push(v);
    // Go's generated marshalers write every non-pointer field, empty or not; JSON would
    // have omitted them (omitempty), and defaulting must see them as unset.
    else if (v !== '' && v !== 0 && v !== false) out[s.name] = v;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

export function decodeProtobufObject(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest('provided protobuf is not a Kubernetes object: missing "k8s\\x00" prefix');
  try {
    const unknown = decodeMessage(body.subarray(4), {
      1: { name: 'typeMeta', t: 'msg', msg: { 1: { name: 'apiVersion', t: 'string' }, 2: { name: 'kind', t: 'string' } } },
      2: { name: 'raw', t: 'bytes' },
      3: { name: 'contentEncoding', t: 'string' },
      4: { name: 'contentType', t: 'string' },
    });
    const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const spec = KINDS[`${tm.apiVersion ?? ''}/${tm.kind ?? ''}`];
    if (!spec) throw badRequest(`protobuf bodies are accepted for ${Object.keys(KINDS).join(', ')}; got ${tm.apiVersion ?? ''}/${tm.kind ?? ''} (send JSON)`);
    const obj = decodeMessage(Buffer.from(String(unknown.raw ?? ''), 'base64'), spec);
    return { apiVersion: tm.apiVersion, kind: tm.kind, ...obj };
  } catch (e) {
    if (e instanceof ProtobufError) throw badRequest(`unable to decode protobuf body: ${e.message}`);
    throw e;
  }
}

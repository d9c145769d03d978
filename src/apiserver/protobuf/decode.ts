// Protobuf request bodies (`application/vnd.kubernetes.protobuf`): the `k8s\0` magic, a
// runtime.Unknown envelope {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType},
// and `raw` in the message layout of k8s.io/api's generated.proto. kubectl's typed
// `create` commands send these and do not retry as JSON after a 415, so the kinds they
// send are decoded here, by the tables in core.ts, apps.ts and rbac.ts, into the JSON shape
// the rest of the server works on; the server answers in JSON.
import { badRequest } from '../errors.js';
import { APPS_KINDS } from './apps.js';
import { CORE_KINDS } from './core.js';
import { RBAC_KINDS } from './rbac.js';
import { int, message, str, type Message, type Scalar } from './schema.js';
import { ProtobufError, readFields, readVarint, type WireField } from './wire.js';

type Json = Record<string, unknown>;

const KINDS: Record<string, Message> = { ...CORE_KINDS, ...APPS_KINDS, ...RBAC_KINDS };

const TIME = message('meta.v1.Time', { 1: int('seconds'), 2: int('nanos') });
const INT_OR_STRING = message('intstr.IntOrString', { 1: int('type'), 2: int('intVal'), 3: str('strVal') });
const QUANTITY = message('resource.Quantity', { 1: str('string') });
const FIELDS_V1 = message('meta.v1.FieldsV1', { 1: { name: 'raw', type: 'bytes' } });

function bytesOf(f: WireField, where: string): Buffer {
  if (f.wireType !== 2 || !f.bytes) throw new ProtobufError(`${where}: expected a length-delimited field, got wire type ${f.wireType}`);
  return f.bytes;
}

function varintOf(f: WireField, where: string): bigint {
  if (f.varint === undefined) throw new ProtobufError(`${where}: expected a varint, got wire type ${f.wireType}`);
  return f.varint;
}

const toInt = (v: bigint) => Number(BigInt.asIntN(64, v));

function scalar(f: WireField, t: Scalar, where: string): unknown {
  switch (t) {
    case 'int': return toInt(varintOf(f, where));
    case 'bool': return varintOf(f, where) !== 0n;
    case 'string': return bytesOf(f, where).toString('utf8');
    case 'bytes': return bytesOf(f, where).toString('base64');
    case 'time': {
      const secs = Number(decodeMessage(bytesOf(f, where), TIME).seconds ?? 0);
      // A zero Time is Go's "unset" (JSON null); meta/v1 Time is serialised to the second.
      return secs ? new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
    }
    case 'intOrString': {
      const io = decodeMessage(bytesOf(f, where), INT_OR_STRING);
      return io.type === 1 ? (io.strVal ?? '') : (io.intVal ?? 0);
    }
    case 'quantity': return decodeMessage(bytesOf(f, where), QUANTITY).string ?? '';
    case 'json': {
      const raw = Buffer.from(String(decodeMessage(bytesOf(f, where), FIELDS_V1).raw ?? ''), 'base64');
      try {
        return raw.length ? JSON.parse(raw.toString('utf8')) as unknown : {};
      } catch (e) {
        throw new ProtobufError(`${where}: ${(e as Error).message}`);
      }
    }
  }
}

/** Go writes every non-pointer field, set or not; an unset one carries its zero value. */
function isZeroWire(f: WireField): boolean {
  if (f.varint !== undefined) return f.varint === 0n;
  return f.wireType === 2 ? f.bytes!.length === 0 : f.bytes!.every((b) => b === 0);
}

const isZeroValue = (v: unknown) => v === '' || v === 0 || v === false;

/** proto2 writes repeated scalars unpacked, but a packed run is legal on the wire too. */
function packed(f: WireField, where: string): bigint[] {
  const buf = bytesOf(f, where);
  const out: bigint[] = [];
  for (let pos = 0; pos < buf.length;) {
    const [v, p] = readVarint(buf, pos);
    out.push(v);
    pos = p;
  }
  return out;
}

function fieldValue(f: WireField, t: Scalar | Message, where: string): unknown {
  return typeof t === 'string' ? scalar(f, t, where) : decodeMessage(bytesOf(f, where), t);
}

/** A map<string, V> field is a repeated entry message {key = 1, value = 2}. */
function mapEntry(f: WireField, value: Scalar, where: string): [string, unknown] {
  const e = decodeMessage(bytesOf(f, where), message(`${where}Entry`, { 1: str('key'), 2: { name: 'value', type: value, ptr: true } }));
  return [String(e.key ?? ''), e.value ?? ''];
}

function decodeMessage(buf: Buffer, m: Message, out: Json = {}): Json {
  for (const f of readFields(buf)) {
    const spec = m.fields[f.no];
    if (!spec) {
      if (isZeroWire(f)) continue;
      // Skipping it, as a proto2 decoder would, would store the object without what the
      // client asked for; refusing names the field so the client can send JSON instead.
      throw new ProtobufError(`field ${f.no} of ${m.type} is not decoded by this server (send the object as JSON, e.g. kubectl create -f)`);
    }
    if (spec.skip) continue;
    const where = `${m.type}.${spec.name || f.no}`;
    if (spec.inline) {
      decodeMessage(bytesOf(f, where), spec.type as Message, out);
      continue;
    }
    const t = spec.type;
    if (typeof t === 'object' && 'map' in t) {
      const [k, v] = mapEntry(f, t.map, where);
      ((out[spec.name] ??= {}) as Json)[k] = v;
      continue;
    }
    if (spec.list) {
      const list = (out[spec.name] ??= []) as unknown[];
      if ((t === 'int' || t === 'bool') && f.wireType === 2) list.push(...packed(f, where).map((v) => (t === 'int' ? toInt(v) : v !== 0n)));
      else list.push(fieldValue(f, t, where));
      continue;
    }
    // A message field seen twice is merged into one, as protobuf parsers must.
    const v = typeof t === 'object' ? decodeMessage(bytesOf(f, where), t, (out[spec.name] as Json | undefined) ?? {}) : scalar(f, t, where);
    // JSON would have omitted an unset (zero) non-pointer field; defaulting must see it unset.
    if (spec.ptr || !isZeroValue(v)) out[spec.name] = v;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

function envelope(buf: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  const env: { apiVersion: string; kind: string; raw: Buffer } = { apiVersion: '', kind: '', raw: Buffer.alloc(0) };
  for (const f of readFields(buf)) {
    if (f.no === 1) {
      const tm = decodeMessage(bytesOf(f, 'runtime.Unknown.typeMeta'), message('runtime.TypeMeta', { 1: str('apiVersion'), 2: str('kind') }));
      env.apiVersion = String(tm.apiVersion ?? '');
      env.kind = String(tm.kind ?? '');
    } else if (f.no === 2) env.raw = bytesOf(f, 'runtime.Unknown.raw');
    else if (f.no === 3 && !isZeroWire(f)) throw new ProtobufError('runtime.Unknown.contentEncoding is not supported');
  }
  return env;
}

export function decodeProtobufObject(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest('provided protobuf is not a Kubernetes object: missing "k8s\\x00" prefix');
  try {
    const { apiVersion, kind, raw } = envelope(body.subarray(4));
    const spec = KINDS[`${apiVersion}/${kind}`];
    if (!spec) throw badRequest(`protobuf bodies are accepted for ${Object.keys(KINDS).join(', ')}; got ${apiVersion}/${kind} (send JSON)`);
    return { apiVersion, kind, ...decodeMessage(raw, spec) };
  } catch (e) {
    if (e instanceof ProtobufError) throw badRequest(`unable to decode protobuf body: ${e.message}`);
    throw e;
  }
}

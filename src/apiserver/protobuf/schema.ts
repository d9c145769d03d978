// The shape of a k8s.io generated.proto message as this decoder needs it: field number →
// JSON name, wire value type, and the Go facts the .proto does not carry (is the Go field a
// pointer, an embedded struct, server-owned). Field numbers are upstream's
// (k8s.io/api */generated.proto, k8s.io/apimachinery meta/v1 and util/intstr); the tables
// in meta.ts, core.ts, pod.ts, apps.ts and rbac.ts are written from them.

/**
 * Wire values with a JSON mapping of their own: `time` is meta/v1 Time {seconds, nanos} →
 * RFC 3339, `intOrString` is util/intstr IntOrString {type, intVal, strVal}, `quantity` is
 * api/resource Quantity {string}, `bytes` is []byte (→ base64, as encoding/json writes it),
 * `json` is meta/v1 FieldsV1 {raw}, whose bytes are JSON.
 */
export type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intOrString' | 'quantity' | 'json';

export interface Message {
  /** The proto message name, for error messages. */
  type: string;
  fields: Record<number, Field>;
}

export interface Field {
  name: string;
  type: Scalar | Message | { map: Scalar };
  list?: boolean;
  /**
   * A Go pointer (`*int32`, `*bool`, `*string`): its generated marshaler writes it only when
   * set, so a zero value was chosen on purpose (`--replicas=0`) and must reach defaulting.
   * Every other zero value is Go's "unset", which JSON would have left out.
   */
  ptr?: boolean;
  /** An embedded Go struct (`LocalObjectReference` in `ConfigMapKeySelector`): JSON inlines its fields. */
  inline?: boolean;
  /** Server-owned (`status`): accepted and dropped, as upstream's create strategies reset it. */
  skip?: boolean;
}

type Opts = Pick<Field, 'list' | 'ptr' | 'inline' | 'skip'>;
export const PTR: Opts = { ptr: true };
export const LIST: Opts = { list: true };

export const message = (type: string, fields: Record<number, Field>): Message => ({ type, fields });
export const str = (name: string, o?: Opts): Field => ({ name, type: 'string', ...o });
export const int = (name: string, o?: Opts): Field => ({ name, type: 'int', ...o });
export const bool = (name: string, o?: Opts): Field => ({ name, type: 'bool', ...o });
export const time = (name: string): Field => ({ name, type: 'time' });
export const intOrString = (name: string, o?: Opts): Field => ({ name, type: 'intOrString', ...o });
export const quantity = (name: string, o?: Opts): Field => ({ name, type: 'quantity', ...o });
export const map = (name: string, value: Scalar = 'string'): Field => ({ name, type: { map: value } });
export const msg = (name: string, m: Message, o?: Opts): Field => ({ name, type: m, ...o });
export const inline = (m: Message): Field => ({ name: '', type: m, inline: true });
export const skip = (name: string): Field => ({ name, type: 'bytes', skip: true });

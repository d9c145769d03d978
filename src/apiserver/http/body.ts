// Request body decoding by Content-Type. Anything malformed is a 400 (never a 5xx), an
// unknown media type a 415, as upstream's negotiation does.
import { parseDocument } from 'yaml';
import { badRequest, unsupportedMediaType } from '../errors.js';
import { decodeProtobufObject } from '../protobuf/decode.js';

export type BodyFormat = 'json' | 'yaml' | 'protobuf' | 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-yaml';

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const FORMATS: Record<string, BodyFormat> = {
  'application/json': 'json',
  '': 'json',
  'application/yaml': 'yaml',
  'application/vnd.kubernetes.protobuf': 'protobuf',
  'application/json-patch+json': 'json-patch',
  'application/merge-patch+json': 'merge-patch',
  'application/strategic-merge-patch+json': 'strategic-merge-patch',
  'application/apply-patch+yaml': 'apply-yaml',
};

export function bodyFormat(contentType: string | undefined): BodyFormat {
  const f = FORMATS[mediaType(contentType)];
  if (!f) throw unsupportedMediaType(mediaType(contentType));
  return f;
}

export function parseJson(buf: Buffer | string): unknown {
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

export function parseYaml(buf: Buffer | string): unknown {
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: true, strict: true });
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
  }
  if (doc.errors.length > 0) throw badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
  }
}

/** Decodes an object body (create/update); patches are parsed by the patch handler. */
export function decodeObjectBody(format: BodyFormat, body: Buffer): unknown {
  if (body.length === 0) throw badRequest('the body of the request was empty');
  switch (format) {
    case 'json': return parseJson(body);
    case 'yaml': return parseYaml(body);
    case 'protobuf': return decodeProtobufObject(body);
    default: throw unsupportedMediaType(format);
  }
}

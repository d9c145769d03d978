// RFC 6902 JSON Patch (application/json-patch+json), with RFC 6901 pointers. Any
// malformed operation is a PatchError, which the apiserver answers with 422/400 like
// upstream (evanphx/json-patch errors surface as "the server rejected our request").
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

type Json = unknown;

function parsePointer(ptr: unknown): string[] {
  if (typeof ptr !== 'string') throw new PatchError('path must be a string');
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(ptr)}`);
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(v: Json): v is Record<string, Json> | Json[] {
  return typeof v === 'object' && v !== null;
}

function arrayIndex(arr: Json[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index: ${token}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index out of bounds: ${i}`);
  return i;
}

function parentOf(doc: Json, path: string[]): [Record<string, Json> | Json[], string] {
  if (path.length === 0) throw new PatchError('the root cannot be the target of this operation');
  let cur = doc;
  for (const tok of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false)];
    else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, tok)) cur = (cur as Record<string, Json>)[tok];
    else throw new PatchError(`doc is missing path: /${path.join('/')}`);
  }
  if (!isContainer(cur)) throw new PatchError(`doc is missing path: /${path.join('/')}`);
  return [cur, path[path.length - 1]!];
}

function getAt(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const tok of path) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false)];
    else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, tok)) cur = (cur as Record<string, Json>)[tok];
    else throw new PatchError(`doc is missing path: /${path.join('/')}`);
  }
  return cur;
}

function add(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const [parent, key] = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: Json, path: string[]): Json {
  const [parent, key] = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new PatchError(`unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

function canon(v: Json): Json {
  if (Array.isArray(v)) return v.map(canon);
  if (isContainer(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, Json>)[k])]));
  return v;
}

export function applyJsonPatch(doc: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be an array of operations');
  let out = structuredClone(doc);
  for (const op of patch) {
    if (!isContainer(op) || Array.isArray(op)) throw new PatchError('each json patch operation must be an object');
    const o = op as Record<string, Json>;
    const path = parsePointer(o.path);
    switch (o.op) {
      case 'add':
        if (!('value' in o)) throw new PatchError('add operation does not apply: missing value');
        out = add(out, path, structuredClone(o.value));
        break;
      case 'remove':
        out = remove(out, path);
        break;
      case 'replace':
        if (!('value' in o)) throw new PatchError('replace operation does not apply: missing value');
        getAt(out, path);
        out = path.length === 0 ? structuredClone(o.value) : add(remove(out, path), path, structuredClone(o.value));
        break;
      case 'move': {
        const from = parsePointer(o.from);
        const v = getAt(out, from);
        out = add(remove(out, from), path, v);
        break;
      }
      case 'copy':
        out = add(out, path, structuredClone(getAt(out, parsePointer(o.from))));
        break;
      case 'test':
        if (!deepEqual(getAt(out, path), o.value)) throw new PatchError(`testing value /${path.join('/')} failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(o.op)}`);
    }
  }
  return out;
}

// Field selectors (`?fieldSelector=`): only `=`, `==` and `!=` on a small set of
// per-resource field labels, as apimachinery's pkg/fields does. Values may escape
// `\,` `\=` `\\`.
export interface FieldRequirement {
  field: string;
  op: 'Equals' | 'NotEquals';
  value: string;
}

export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) { cur += c + s[i + 1]; i++; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === '') return [];
  return splitUnescaped(input, ',').map((part) => {
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(part.trim());
    if (!m) throw new FieldSelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
    return { field: m[1]!.trim(), op: m[2] === '!=' ? 'NotEquals' : 'Equals', value: unescape(m[3]!) };
  });
}

/** Reads a dotted path; booleans and numbers compare as their string form, missing as "". */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === 'Equals'));
}

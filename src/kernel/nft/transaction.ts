// A transaction: an ordered list of operations on ONE table, applied all-or-nothing by an
// NftBackend (one `nft -f -` run in the kernel adapter, a copy-then-swap in the fake).
// Each operation is validated when it is added; the first problem is recorded and reported
// when the transaction is applied, so a compiler can build a whole transaction without
// try/catch around every call (as knftables does).
import { NftError } from './errors.js';
import { nameProblem, quoteProblem } from './format.js';
import { SET_FLAGS, FAMILIES } from './types.js';
import type { Chain, Element, Family, NftMap, NftObject, NftSet, Rule, Table, TableRef } from './types.js';

export type Verb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush';

/** Delete/flush name an object; they do not need its whole definition. */
export type ObjectRef =
  | { kind: 'table' }
  | { kind: 'chain'; name: string }
  | { kind: 'set'; name: string }
  | { kind: 'map'; name: string }
  | { kind: 'rule'; chain: string; handle: number }
  | { kind: 'element'; set: string; key: string[]; value?: string[] };

export interface Op {
  verb: Verb;
  obj: NftObject | ObjectRef;
}

const HOOKS_BY_FAMILY: Record<Family, readonly string[]> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  arp: ['input', 'output'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  netdev: ['ingress', 'egress'],
};

export class Transaction {
  readonly ops: Op[] = [];
  private firstError: NftError | undefined;
  /** Key/value arity of sets and maps defined earlier in this transaction. */
  private readonly shapes = new Map<string, { key: number; value: number | undefined }>();

  constructor(readonly family: Family, readonly table: string) {
    if (!FAMILIES.includes(family)) this.fail(`unknown family ${JSON.stringify(family)}`);
    const p = nameProblem(table);
    if (p) this.fail(`table: ${p}`);
  }

  get tableRef(): TableRef {
    return { family: this.family, name: this.table };
  }

  /** The first validation problem, if any: applying the transaction throws it. */
  get error(): NftError | undefined {
    return this.firstError;
  }

  get size(): number {
    return this.ops.length;
  }

  add(obj: NftObject): this { return this.push('add', obj); }
  /** Like add, but fails (EXISTS) when the object already exists. */
  create(obj: Table | Chain | NftSet | NftMap | Element): this { return this.push('create', obj); }
  /** Insert a rule at the start of its chain, or before `index`/`handle`. */
  insert(rule: Rule): this { return this.push('insert', rule); }
  /** Replace the rule with `rule.handle`. */
  replace(rule: Rule): this { return this.push('replace', rule); }
  delete(obj: NftObject | ObjectRef): this { return this.push('delete', obj); }
  /** Delete if present. nft 1.0.6 has no `destroy`: sets and map elements need their full definition (see render.ts). */
  destroy(obj: NftObject | ObjectRef): this { return this.push('destroy', obj); }
  flush(obj: Table | Chain | NftSet | NftMap | ObjectRef): this { return this.push('flush', obj); }

  private fail(message: string): void {
    if (!this.firstError) this.firstError = new NftError('HAWSER_NFT_INVALID', message, this.ops.length);
  }

  private push(verb: Verb, obj: NftObject | ObjectRef): this {
    const problem = validateOp(this.family, verb, obj, this.shapes);
    if (problem) this.fail(`op ${this.ops.length} (${verb} ${obj.kind}): ${problem}`);
    this.track(verb, obj);
    this.ops.push({ verb, obj });
    return this;
  }

  private track(verb: Verb, obj: NftObject | ObjectRef): void {
    if (obj.kind !== 'set' && obj.kind !== 'map') return;
    if ((verb === 'add' || verb === 'create') && 'type' in obj) {
      this.shapes.set(obj.name, { key: obj.type.length, value: obj.kind === 'map' ? (obj as NftMap).value.length : undefined });
    } else if (verb === 'delete' || verb === 'destroy') {
      this.shapes.delete(obj.name);
    }
  }
}

type Shapes = Map<string, { key: number; value: number | undefined }>;

function validateOp(family: Family, verb: Verb, obj: NftObject | ObjectRef, shapes: Shapes): string | undefined {
  const defining = verb === 'add' || verb === 'create';
  switch (obj.kind) {
    case 'table':
      if (verb === 'insert' || verb === 'replace') return `cannot ${verb} a table`;
      return 'comment' in obj && obj.comment !== undefined ? quoteProblem(obj.comment) : undefined;
    case 'chain':
      if (verb === 'insert' || verb === 'replace') return `cannot ${verb} a chain`;
      return nameProblem(obj.name) ?? (defining ? chainProblem(obj as Chain, family) : undefined);
    case 'set':
    case 'map':
      if (verb === 'insert' || verb === 'replace') return `cannot ${verb} a ${obj.kind}`;
      if (nameProblem(obj.name)) return nameProblem(obj.name);
      if (defining || verb === 'destroy') {
        // destroy is rendered as add+delete on nft 1.0.6, so it needs the definition too.
        if (!('type' in obj)) return `${verb} ${obj.kind} needs its type`;
        return setProblem(obj as NftSet | NftMap);
      }
      return undefined;
    case 'rule':
      return ruleProblem(verb, obj);
    case 'element':
      if (verb === 'insert' || verb === 'replace' || verb === 'flush') return `cannot ${verb} an element`;
      return elementProblem(verb, obj, shapes);
  }
}

function chainProblem(c: Chain, family: Family): string | undefined {
  if (c.comment !== undefined && quoteProblem(c.comment)) return quoteProblem(c.comment);
  const b = c.base;
  if (!b) return undefined;
  if (!['filter', 'nat', 'route'].includes(b.type)) return `unknown chain type ${JSON.stringify(b.type)}`;
  if (!HOOKS_BY_FAMILY[family].includes(b.hook)) return `family ${family} has no hook ${JSON.stringify(b.hook)}`;
  if (!Number.isInteger(b.priority)) return 'base chain priority must be an integer';
  if (b.policy !== undefined && b.policy !== 'accept' && b.policy !== 'drop') return `policy must be accept or drop`;
  if (b.type === 'route' && b.hook !== 'output') return 'route chains only exist for the output hook';
  if (b.type === 'nat' && !['prerouting', 'input', 'output', 'postrouting'].includes(b.hook)) {
    return `nat chains cannot use hook ${b.hook}`;
  }
  if ((b.hook === 'ingress' || b.hook === 'egress') && !b.device) return `${b.hook} chains need a device`;
  if (b.device !== undefined && quoteProblem(b.device)) return quoteProblem(b.device);
  return undefined;
}

function setProblem(s: NftSet | NftMap): string | undefined {
  if (!Array.isArray(s.type) || s.type.length === 0) return 'key type is empty';
  for (const t of [...s.type, ...(s.kind === 'map' ? s.value ?? [] : [])]) {
    if (!/^[a-z][a-z0-9_]*$/.test(t)) return `bad datatype ${JSON.stringify(t)}`;
  }
  if (s.type.includes('verdict')) return 'verdict is a value type, not a key type';
  if (s.type.includes('integer') && s.typeof === undefined) return 'nft refuses an unqualified integer key type: give typeof (e.g. "numgen random mod 251")';
  if (s.typeof !== undefined && (ruleTextProblem(s.typeof) || /[{}@]/.test(s.typeof))) return `bad typeof expression ${JSON.stringify(s.typeof)}`;
  if (s.kind === 'map') {
    if (!Array.isArray(s.value) || s.value.length === 0) return 'map value type is empty';
    if (s.value.includes('verdict') && s.value.length > 1) return 'a verdict cannot be concatenated';
  }
  for (const f of s.flags ?? []) if (!SET_FLAGS.includes(f)) return `unknown set flag ${JSON.stringify(f)}`;
  if (s.timeout !== undefined && !(Number.isInteger(s.timeout) && s.timeout > 0)) return 'timeout must be a positive integer (seconds)';
  if (s.size !== undefined && !(Number.isInteger(s.size) && s.size > 0)) return 'size must be a positive integer';
  if (s.comment !== undefined && quoteProblem(s.comment)) return quoteProblem(s.comment);
  return undefined;
}

/** Rule text is spliced into a command line: a newline or `;` would start another command. */
function ruleTextProblem(text: string): string | undefined {
  if (typeof text !== 'string' || text.trim() === '') return 'rule text is empty';
  let inQuote = false;
  for (const c of text) {
    if (c === '"') inQuote = !inQuote;
    else if (c === '\n' || c === '\r' || (!inQuote && (c === ';' || c === '#'))) return 'rule text contains a newline, ";" or "#"';
  }
  return inQuote ? 'rule text has an unterminated string' : undefined;
}

function ruleProblem(verb: Verb, r: Rule | { kind: 'rule'; chain: string; handle: number }): string | undefined {
  if (nameProblem(r.chain)) return `chain: ${nameProblem(r.chain)}`;
  const handle = r.handle;
  if (handle !== undefined && !(Number.isInteger(handle) && handle > 0)) return 'handle must be a positive integer';
  if (verb === 'create' || verb === 'flush') return `cannot ${verb} a rule`;
  if (verb === 'delete' || verb === 'destroy') {
    if (handle === undefined) return `${verb} rule needs a handle`;
    // nft 1.0.6 has no `destroy` and a rule cannot be emulated by add+delete.
    return verb === 'destroy' ? 'destroy rule is not supported by nft 1.0.6' : undefined;
  }
  const rule = r as Rule;
  if (verb === 'replace' && handle === undefined) return 'replace rule needs a handle';
  if (rule.index !== undefined) {
    if (verb === 'replace') return 'replace takes a handle, not an index';
    if (handle !== undefined) return 'give index or handle, not both';
    if (!(Number.isInteger(rule.index) && rule.index >= 0)) return 'index must be a non-negative integer';
  }
  if (rule.comment !== undefined && quoteProblem(rule.comment)) return quoteProblem(rule.comment);
  return ruleTextProblem(rule.rule);
}

function partProblem(p: string): string | undefined {
  if (typeof p !== 'string' || p.trim() === '') return 'empty key/value part';
  // A part is one value: a concatenation (` . `), a map separator (` : `) or a list would
  // change the element's shape behind the arity check.
  if (/[{},;#\n\r"]/.test(p) || p.includes(' . ') || p.includes(' : ')) return `part ${JSON.stringify(p)} is not a single value`;
  return undefined;
}

function elementProblem(verb: Verb, e: Element | Extract<ObjectRef, { kind: 'element' }>, shapes: Shapes): string | undefined {
  if (nameProblem(e.set)) return `set: ${nameProblem(e.set)}`;
  if (!Array.isArray(e.key) || e.key.length === 0) return 'element key is empty';
  for (const p of [...e.key, ...(e.value ?? [])]) {
    const problem = partProblem(p);
    if (problem) return problem;
  }
  const el = e as Element;
  if (el.timeout !== undefined && !(Number.isInteger(el.timeout) && el.timeout > 0)) return 'timeout must be a positive integer (seconds)';
  if (el.comment !== undefined && quoteProblem(el.comment)) return quoteProblem(el.comment);
  const shape = shapes.get(e.set);
  if (!shape) return undefined; // defined before this transaction: the backend checks
  if (e.key.length !== shape.key) return `key has ${e.key.length} parts, ${e.set} has ${shape.key}`;
  const needsValue = (verb === 'add' || verb === 'create' || verb === 'destroy') && shape.value !== undefined;
  if (shape.value === undefined && e.value !== undefined) return `${e.set} is a set: elements have no value`;
  if (needsValue && e.value === undefined) return `${e.set} is a map: element needs a value`;
  if (e.value !== undefined && shape.value !== undefined && e.value.length !== shape.value) {
    return `value has ${e.value.length} parts, ${e.set} has ${shape.value}`;
  }
  return undefined;
}

// Rendering a transaction as `nft -f` text: one command per line, so that the line nft
// reports an error on maps back to the operation that caused it.
import { formatDuration, quote } from './format.js';
import type { ObjectRef, Op, Transaction, Verb } from './transaction.js';
import type { Chain, Element, NftMap, NftObject, NftSet, Rule, Table } from './types.js';

/** Verbs nft 1.0.6 understands (it has no `destroy`; that arrived in 1.0.8). */
export type LowVerb = Exclude<Verb, 'destroy'>;

export interface LowOp {
  verb: LowVerb;
  obj: NftObject | ObjectRef;
  /** Index of the Transaction op this came from. */
  from: number;
}

/**
 * `destroy` (delete if present) written with verbs nft 1.0.6 has, the way knftables does
 * for old nft: `add X` (a no-op when X exists with the same definition) then `delete X`.
 * The kernel answers EEXIST when X exists with a different definition (a set of another
 * type, a map element with another value), so callers pass the definition they created.
 */
export function expandOps(ops: readonly Op[]): LowOp[] {
  const out: LowOp[] = [];
  ops.forEach((op, from) => {
    if (op.verb !== 'destroy') {
      out.push({ verb: op.verb, obj: op.obj, from });
      return;
    }
    const addable: NftObject | ObjectRef = op.obj.kind === 'chain' ? { kind: 'chain', name: op.obj.name } : op.obj;
    out.push({ verb: 'add', obj: addable, from }, { verb: 'delete', obj: op.obj, from });
  });
  return out;
}

export interface Rendered {
  text: string;
  /** lineOp[i] = index of the Transaction op that line i+1 came from. */
  lineOp: number[];
}

export function renderTransaction(tx: Transaction): Rendered {
  const lines: string[] = [];
  const lineOp: number[] = [];
  for (const low of expandOps(tx.ops)) {
    lines.push(renderOp(tx.family, tx.table, low.verb, low.obj));
    lineOp.push(low.from);
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', lineOp };
}

const comment = (c: string | undefined): string => (c === undefined ? '' : ` comment ${quote(c)}`);

export function renderOp(family: string, table: string, verb: LowVerb, obj: NftObject | ObjectRef): string {
  const where = `${family} ${table}`;
  switch (obj.kind) {
    case 'table': {
      const c = (obj as Table).comment;
      return `${verb} table ${where}${(verb === 'add' || verb === 'create') && c !== undefined ? ` { comment ${quote(c)}; }` : ''}`;
    }
    case 'chain':
      return `${verb} chain ${where} ${obj.name}${verb === 'add' || verb === 'create' ? chainBody(obj as Chain) : ''}`;
    case 'set':
    case 'map':
      return `${verb} ${obj.kind} ${where} ${obj.name}${(verb === 'add' || verb === 'create') && 'type' in obj ? setBody(obj as NftSet | NftMap) : ''}`;
    case 'rule':
      return renderRule(where, verb, obj as Rule);
    case 'element':
      return `${verb} element ${where} ${obj.set} { ${renderElement(obj, verb === 'delete')} }`;
  }
}

function chainBody(c: Chain): string {
  const parts: string[] = [];
  if (c.base) {
    const b = c.base;
    parts.push(`type ${b.type} hook ${b.hook}${b.device !== undefined ? ` device ${quote(b.device)}` : ''} priority ${b.priority};`);
    parts.push(`policy ${b.policy ?? 'accept'};`);
  }
  if (c.comment !== undefined) parts.push(`comment ${quote(c.comment)};`);
  return parts.length ? ` { ${parts.join(' ')} }` : '';
}

export function renderSetType(s: { type: string[] } & { kind: 'set' | 'map'; value?: string[] }): string {
  return s.type.join(' . ') + (s.kind === 'map' && s.value ? ` : ${s.value.join(' . ')}` : '');
}

export function renderSetTypeof(s: { typeof?: string; kind: 'set' | 'map'; value?: string[] }): string {
  return (s.typeof ?? '') + (s.kind === 'map' && s.value ? ` : ${s.value.join(' . ')}` : '');
}

function setBody(s: NftSet | NftMap): string {
  const parts = [s.typeof !== undefined ? `typeof ${renderSetTypeof(s)};` : `type ${renderSetType(s)};`];
  if (s.flags?.length) parts.push(`flags ${s.flags.join(',')};`);
  if (s.timeout !== undefined) parts.push(`timeout ${formatDuration(s.timeout)};`);
  if (s.size !== undefined) parts.push(`size ${s.size};`);
  if (s.comment !== undefined) parts.push(`comment ${quote(s.comment)};`);
  return ` { ${parts.join(' ')} }`;
}

function renderRule(where: string, verb: LowVerb, r: Rule): string {
  if (verb === 'delete') return `delete rule ${where} ${r.chain} handle ${r.handle}`;
  let place = '';
  if (verb === 'replace') place = ` handle ${r.handle}`;
  else if (r.index !== undefined) place = ` index ${r.index}`;
  else if (r.handle !== undefined) place = ` position ${r.handle}`;
  return `${verb} rule ${where} ${r.chain}${place} ${r.rule}${comment(r.comment)}`;
}

/** An element as nft writes it: `key [timeout T] [comment "c"] [: value]`. */
export function renderElement(e: Element | Extract<ObjectRef, { kind: 'element' }>, keyOnly = false): string {
  let s = e.key.join(' . ');
  if (keyOnly) return s;
  const el = e as Element;
  if (el.timeout !== undefined) s += ` timeout ${formatDuration(el.timeout)}`;
  s += comment(el.comment);
  if (e.value !== undefined) s += ` : ${e.value.join(' . ')}`;
  return s;
}

// Label selectors: the string form used in `?labelSelector=` (apimachinery
// pkg/labels/selector.go grammar) and the structured LabelSelector form of objects
// (metav1.LabelSelectorAsSelector). Both compile to the same list of requirements.
import type { LabelSelector } from './types.js';
import { labelValue, qualifiedName } from './names.js';

export type Operator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

type Token = { kind: 'id' | 'op' | 'lparen' | 'rparen' | 'comma' | 'not'; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '(') { out.push({ kind: 'lparen', text: c }); i++; continue; }
    if (c === ')') { out.push({ kind: 'rparen', text: c }); i++; continue; }
    if (c === ',') { out.push({ kind: 'comma', text: c }); i++; continue; }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if (c === '=' || c === '>' || c === '<') { out.push({ kind: 'op', text: c }); i++; continue; }
    if (c === '!') { out.push({ kind: 'not', text: c }); i++; continue; }
    let j = i;
    while (j < s.length && !' \t(),=!<>'.includes(s[j]!)) j++;
    out.push({ kind: 'id', text: s.slice(i, j) });
    i = j;
  }
  return out;
}

function checkKey(key: string): void {
  const errs = qualifiedName(key);
  if (errs.length) throw new SelectorParseError(`invalid label key "${key}": ${errs.join('; ')}`);
}

function checkValue(v: string): void {
  const errs = labelValue(v);
  if (errs.length) throw new SelectorParseError(`invalid label value: "${v}": ${errs.join('; ')}`);
}

/** Parses `a=b,c!=d,e in (x,y),!f,g` — throws SelectorParseError on bad input. */
export function parseLabelSelector(input: string): Requirement[] {
  const toks = tokenize(input);
  const reqs: Requirement[] = [];
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  while (p < toks.length) {
    let t = next()!;
    if (t.kind === 'not') {
      const k = next();
      if (!k || k.kind !== 'id') throw new SelectorParseError(`found '${k?.text ?? 'EOS'}', expected: identifier after '!'`);
      checkKey(k.text);
      reqs.push({ key: k.text, op: 'DoesNotExist', values: [] });
    } else if (t.kind === 'id') {
      const key = t.text;
      checkKey(key);
      const o = peek();
      if (!o || o.kind === 'comma') {
        reqs.push({ key, op: 'Exists', values: [] });
      } else if (o.kind === 'op') {
        next();
        const v = peek();
        let value = '';
        if (v && v.kind === 'id') { value = v.text; next(); }
        if (o.text === '>' || o.text === '<') {
          if (!/^-?\d+$/.test(value)) throw new SelectorParseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
        } else {
          checkValue(value);
        }
        const op: Operator = o.text === '!=' ? 'NotEquals' : o.text === '>' ? 'Gt' : o.text === '<' ? 'Lt' : 'Equals';
        reqs.push({ key, op, values: [value] });
      } else if (o.kind === 'id' && (o.text === 'in' || o.text === 'notin')) {
        next();
        if (next()?.kind !== 'lparen') throw new SelectorParseError(`found '${toks[p - 1]?.text ?? 'EOS'}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          t = next()!;
          if (!t) throw new SelectorParseError(`found 'EOS', expected: ')'`);
          if (t.kind === 'rparen') break;
          if (t.kind === 'comma') continue;
          if (t.kind !== 'id') throw new SelectorParseError(`found '${t.text}', expected: ',' or ')'`);
          checkValue(t.text);
          values.push(t.text);
        }
        if (values.length === 0) throw new SelectorParseError(`for 'in', 'notin' operators, values set can't be empty`);
        reqs.push({ key, op: o.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        throw new SelectorParseError(`found '${o.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      throw new SelectorParseError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    }
    const sep = peek();
    if (sep) {
      if (sep.kind !== 'comma') throw new SelectorParseError(`found '${sep.text}', expected: ',' or 'end of string'`);
      next();
      if (p >= toks.length) throw new SelectorParseError(`found 'EOS', expected: identifier after ','`);
    }
  }
  return reqs;
}

/** metav1.LabelSelector → requirements. A nil selector matches nothing, an empty one everything. */
export function requirementsFromLabelSelector(sel: LabelSelector): Requirement[] {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: 'Equals', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const)[e.operator as 'In'];
    if (!op) throw new SelectorParseError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

export function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'Equals': case 'In': return has && r.values.includes(v!);
    // Upstream: `!=` and notin also match objects without the key.
    case 'NotEquals': case 'NotIn': return !has || !r.values.includes(v!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.op === 'Gt' ? a > b : a < b;
    }
  }
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => matchesRequirement(r, l));
}

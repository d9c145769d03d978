// A parser for the nft rule forms hawser's compilers emit — enough of the language for the
// tracer to evaluate a Ruleset's own text (DESIGN rule 6), not a side channel from the
// compiler. Unknown forms are an error, so a new compiler form cannot be silently skipped.

/** A packet field or computed value. */
export type Expr =
  | { kind: 'addr'; field: 'saddr' | 'daddr'; family: 'ip' | 'ip6' }
  | { kind: 'l4proto' }
  | { kind: 'dport' }
  | { kind: 'mark'; mask?: number }
  | { kind: 'ctstate' }
  | { kind: 'fib'; field: 'saddr' | 'daddr' }
  | { kind: 'numgen'; mode: 'random' | 'inc'; mod: number }
  | { kind: 'jhash'; of: Expr; mod: number; seed: number; offset: number }
  | { kind: 'concat'; parts: Expr[] };

export type Match =
  | { kind: 'cmp'; expr: Expr; op: '==' | '!='; value: string }
  | { kind: 'lookup'; expr: Expr; op: '==' | '!='; set: string };

export type Verdict =
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'return' | 'drop' | 'accept' };

export type Stmt =
  | Verdict
  | { kind: 'vmap'; expr: Expr; map: string }
  | { kind: 'reject'; with?: string }
  | { kind: 'masquerade'; flags: string[] }
  | { kind: 'dnat'; addr: string; port?: number }
  | { kind: 'update'; set: string; expr: Expr }
  | { kind: 'markset'; op: '|' | '^' | '='; value: number }
  | { kind: 'counter' }
  | { kind: 'log'; prefix?: string };

export interface ParsedRule {
  matches: Match[];
  stmts: Stmt[];
}

export class RuleParseError extends Error {
  constructor(readonly rule: string, message: string) {
    super(`cannot trace rule "${rule}": ${message}`);
    this.name = 'RuleParseError';
  }
}

/** Split on whitespace, keeping `{` `}` as their own tokens and a quoted string as one token. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  const parts = text.split('"');
  parts.forEach((part, i) => {
    if (i % 2 === 1) out.push(`"${part}"`);
    else out.push(...part.replace(/([{}])/g, ' $1 ').trim().split(/\s+/).filter(Boolean));
  });
  return out;
}

const VERDICTS = new Set(['jump', 'goto', 'return', 'drop', 'accept']);

class Parser {
  i = 0;
  constructor(readonly toks: string[], readonly text: string) {}
  peek(k = 0): string | undefined { return this.toks[this.i + k]; }
  next(): string {
    const t = this.toks[this.i++];
    if (t === undefined) this.fail('unexpected end');
    return t!;
  }
  expect(word: string): void {
    const t = this.next();
    if (t !== word) this.fail(`expected "${word}", got "${t}"`);
  }
  fail(msg: string): never { throw new RuleParseError(this.text, msg); }
  num(): number {
    const t = this.next();
    const n = Number(t);
    if (!Number.isFinite(n)) this.fail(`expected a number, got "${t}"`);
    return n;
  }

  /** One primary expression; undefined when the next token does not start one. */
  primary(): Expr | undefined {
    const t = this.peek();
    const t1 = this.peek(1);
    if ((t === 'ip' || t === 'ip6') && (t1 === 'saddr' || t1 === 'daddr')) {
      this.i += 2;
      return { kind: 'addr', field: t1, family: t };
    }
    if (t === 'meta' && t1 === 'l4proto') { this.i += 2; return { kind: 'l4proto' }; }
    if (t === 'meta' && t1 === 'mark' && this.peek(2) !== 'set') {
      this.i += 2;
      if (this.peek() === '&') { this.i++; return { kind: 'mark', mask: this.num() }; }
      return { kind: 'mark' };
    }
    if (t === 'th' && t1 === 'dport') { this.i += 2; return { kind: 'dport' }; }
    if ((t === 'tcp' || t === 'udp' || t === 'sctp') && t1 === 'dport') { this.i += 2; return { kind: 'dport' }; }
    if (t === 'ct' && t1 === 'state') { this.i += 2; return { kind: 'ctstate' }; }
    if (t === 'fib' && (t1 === 'saddr' || t1 === 'daddr') && this.peek(2) === 'type') {
      this.i += 3;
      return { kind: 'fib', field: t1 };
    }
    if (t === 'numgen') {
      this.i++;
      const mode = this.next();
      if (mode !== 'random' && mode !== 'inc') this.fail(`numgen ${mode}`);
      this.expect('mod');
      return { kind: 'numgen', mode, mod: this.num() };
    }
    if (t === 'jhash') {
      this.i++;
      const of = this.expr();
      this.expect('mod');
      const mod = this.num();
      let seed = 0;
      let offset = 0;
      while (this.peek() === 'seed' || this.peek() === 'offset') {
        if (this.next() === 'seed') seed = this.num(); else offset = this.num();
      }
      return { kind: 'jhash', of, mod, seed, offset };
    }
    return undefined;
  }

  expr(): Expr {
    const first = this.primary();
    if (!first) this.fail(`expected an expression at "${this.peek() ?? 'end'}"`);
    const parts = [first!];
    while (this.peek() === '.') {
      this.i++;
      const p = this.primary();
      if (!p) this.fail('expected an expression after "."');
      parts.push(p!);
    }
    return parts.length === 1 ? first! : { kind: 'concat', parts };
  }

  statement(): Stmt {
    const t = this.next();
    switch (t) {
      case 'jump':
      case 'goto':
        return { kind: t, chain: this.next() };
      case 'return':
      case 'drop':
      case 'accept':
        return { kind: t };
      case 'counter':
        // A kernel listing carries the values: `counter packets 3 bytes 180`.
        while (this.peek() === 'packets' || this.peek() === 'bytes') { this.i++; this.num(); }
        return { kind: 'counter' };
      case 'log': {
        let prefix: string | undefined;
        while (this.peek() === 'prefix' || this.peek() === 'level' || this.peek() === 'group') {
          const k = this.next();
          const v = this.next();
          if (k === 'prefix') prefix = v.replace(/^"|"$/g, '');
        }
        return prefix !== undefined ? { kind: 'log', prefix } : { kind: 'log' };
      }
      case 'reject': {
        if (this.peek() !== 'with') return { kind: 'reject' };
        this.i++;
        const words: string[] = [];
        while (this.peek() !== undefined && !VERDICTS.has(this.peek()!)) words.push(this.next());
        return { kind: 'reject', with: words.join(' ') };
      }
      case 'masquerade': {
        const flags: string[] = [];
        while (this.peek() !== undefined) flags.push(...this.next().split(','));
        return { kind: 'masquerade', flags };
      }
      case 'dnat': {
        this.expect('to');
        const target = this.next();
        const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(target);
        if (!m) this.fail(`dnat target ${target}`);
        const addr = m![1] ?? m![2]!;
        return m![3] !== undefined ? { kind: 'dnat', addr, port: Number(m![3]) } : { kind: 'dnat', addr };
      }
      case 'update': {
        const set = this.next();
        if (!set.startsWith('@')) this.fail('update needs @set');
        this.expect('{');
        const expr = this.expr();
        this.expect('}');
        return { kind: 'update', set: set.slice(1), expr };
      }
      case 'meta': {
        // meta mark set meta mark | 0x4000   /   meta mark set 0x1
        this.expect('mark');
        this.expect('set');
        if (this.peek() === 'meta') {
          this.i++;
          this.expect('mark');
          const op = this.next();
          if (op !== '|' && op !== '^') this.fail(`mark op ${op}`);
          return { kind: 'markset', op, value: this.num() };
        }
        return { kind: 'markset', op: '=', value: this.num() };
      }
      default:
        return this.fail(`unknown statement "${t}"`);
    }
  }

  /** After an expression: `vmap @m` (a statement), or a comparison / set lookup (a match). */
  afterExpr(expr: Expr): Match | Stmt {
    const t = this.peek();
    if (t === 'vmap') {
      this.i++;
      const m = this.next();
      if (!m.startsWith('@')) this.fail('only named verdict maps are traced');
      return { kind: 'vmap', expr, map: m.slice(1) };
    }
    let op: '==' | '!=' = '==';
    if (t === '!=' || t === '==') { op = t; this.i++; }
    const v = this.next();
    if (v.startsWith('@')) return { kind: 'lookup', expr, op, set: v.slice(1) };
    if (v === '{') this.fail('anonymous sets are not traced (hawser never emits them)');
    return { kind: 'cmp', expr, op, value: v };
  }
}

export function parseRule(text: string): ParsedRule {
  const p = new Parser(tokenize(text), text);
  const out: ParsedRule = { matches: [], stmts: [] };
  while (p.peek() !== undefined) {
    const save = p.i;
    const expr = p.primary();
    if (expr) {
      p.i = save;
      const e = p.expr();
      const r = p.afterExpr(e);
      if (r.kind === 'cmp' || r.kind === 'lookup') {
        if (out.stmts.length) p.fail('a match after a statement');
        out.matches.push(r);
      } else {
        out.stmts.push(r as Stmt);
      }
    } else {
      out.stmts.push(p.statement());
    }
  }
  // `meta l4proto tcp reject with tcp reset` lists as `reject with tcp reset`: nft hides
  // the protocol match it must add for a TCP reset, but the kernel still evaluates it.
  const reject = out.stmts.find((x) => x.kind === 'reject');
  if (reject?.kind === 'reject' && reject.with === 'tcp reset' && !out.matches.some((m) => m.expr.kind === 'l4proto')) {
    out.matches.push({ kind: 'cmp', expr: { kind: 'l4proto' }, op: '==', value: 'tcp' });
  }
  return out;
}

// Lexical pieces of nft text shared by rendering, validation, the fake and the dump:
// identifiers, quoted strings, durations.

/**
 * nft's scanner (1.0.6 scanner.l) reads an unquoted name as
 * `({letter}|[_.])({letter}|{digit}|[/\-_\.])*`; the kernel limits object names to
 * NFT_NAME_MAXLEN - 1 = 255 bytes. hawser's names (`svc-<hash>-ns/name/tcp/port`) fit.
 */
const IDENT = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/;
export const MAX_NAME_LEN = 255;

/** Words the scanner turns into keywords in object-name position: such names would need quoting. */
const RESERVED = new Set([
  'table', 'chain', 'rule', 'set', 'map', 'element', 'elements', 'type', 'hook', 'priority',
  'policy', 'flags', 'timeout', 'size', 'comment', 'handle', 'position', 'index',
  'add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'list', 'reset',
  'ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev', 'counter', 'accept', 'drop', 'jump',
  'goto', 'return', 'continue', 'queue', 'log', 'reject', 'dnat', 'snat', 'masquerade',
  'redirect', 'meta', 'ct', 'tcp', 'udp', 'sctp', 'icmp', 'th', 'numgen', 'jhash', 'fib',
  'limit', 'quota', 'define', 'include', 'describe', 'monitor', 'export', 'import',
]);

/** Why `name` cannot be an nft object name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'name is empty';
  if (name.length > MAX_NAME_LEN) return `name longer than ${MAX_NAME_LEN} characters`;
  if (!IDENT.test(name)) return `name ${JSON.stringify(name)} is not an nft identifier ([A-Za-z_.][A-Za-z0-9/_.-]*)`;
  if (RESERVED.has(name)) return `name ${JSON.stringify(name)} is an nft keyword`;
  return undefined;
}

/** nft strings are double-quoted with no escape sequences: a quote or newline cannot be represented. */
export function quoteProblem(s: string): string | undefined {
  if (/["\n\r\\]/.test(s)) return `string ${JSON.stringify(s)} contains a quote, backslash or newline`;
  if (s.length > 128) return 'comment longer than 128 bytes (NFT_USERDATA_MAXLEN)';
  return undefined;
}

export function quote(s: string): string {
  return `"${s}"`;
}

/** Seconds as nft prints a time (nft 1.0.6 time_print): `10800` → `3h`, `90061` → `1d1h1m1s`. */
export function formatDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(ms / size);
    if (n > 0) parts.push(`${n}${unit}`);
    ms -= n * size;
  }
  return parts.join('');
}

/** Inverse of formatDuration, also accepting plain seconds (`10800`, `10800s`). */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text)) !== null) {
    const n = Number(m[1]);
    total += { d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 }[m[2] as 'd' | 'h' | 'm' | 's' | 'ms'] * n;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** Split `text` at top-level occurrences of `sep` (outside quotes and braces). */
export function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === '{') depth++;
    else if (!inQuote && c === '}') depth--;
    else if (!inQuote && depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

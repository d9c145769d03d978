// `nft -j list table` (JSON schema version 1, nft 1.0.6) → TableContent. Rule text comes
// from the text listing (parse-listing.ts explains why); elements and structure from here.
import { canonicalPart } from './canonical.js';
import { NftError } from './errors.js';
import type { Listing } from './parse-listing.js';
import type { ChainContent, ElementContent, Family, Hook, MapContent, SetContent, SetFlag, TableContent, TableRef } from './types.js';

type J = Record<string, unknown>;
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});

function objects(json: unknown): J[] {
  const list = obj(json).nftables;
  if (!Array.isArray(list)) throw new NftError('HAWSER_NFT_UNKNOWN', 'nft -j output has no "nftables" array');
  return list as J[];
}

/** One JSON element expression as printed text parts (a concatenation gives several). */
export function exprParts(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v === 'number') return [String(v)];
  const o = obj(v);
  if (Array.isArray(o.concat)) return o.concat.flatMap((x) => exprParts(x));
  if (o.prefix) {
    const p = obj(o.prefix);
    return [`${String(p.addr)}/${String(p.len)}`];
  }
  if (Array.isArray(o.range)) return [`${exprParts(o.range[0])[0]}-${exprParts(o.range[1])[0]}`];
  if (o.elem) return exprParts(obj(o.elem).val);
  for (const verdict of ['goto', 'jump']) {
    if (o[verdict]) return [`${verdict} ${String(obj(o[verdict]).target)}`];
  }
  for (const verdict of ['accept', 'drop', 'return', 'continue']) if (verdict in o) return [verdict];
  throw new NftError('HAWSER_NFT_UNKNOWN', `unknown element expression ${JSON.stringify(v)}`);
}

const typeList = (t: unknown): string[] =>
  Array.isArray(t) ? t.map(String) : typeof t === 'string' ? t.split(' . ') : [];

function element(raw: unknown, keyTypes: string[], valueTypes: string[] | undefined): ElementContent {
  const [k, v] = valueTypes ? (raw as [unknown, unknown]) : [raw, undefined];
  const meta = obj(obj(k).elem);
  const e: ElementContent = { key: exprParts(k).map((p, i) => canonicalPart(p, keyTypes[i])) };
  if (v !== undefined) e.value = exprParts(v).map((p, i) => canonicalPart(p, valueTypes![i]));
  if (typeof meta.timeout === 'number') e.timeout = meta.timeout;
  if (typeof meta.comment === 'string') e.comment = meta.comment;
  return e;
}

function setOf(o: J, listing: Listing | undefined): SetContent | MapContent {
  const name = String(o.name);
  const type = typeList(o.type);
  const value = o.map !== undefined ? typeList(o.map) : undefined;
  // JSON lacks `dynamic`; the text lacks `timeout` when a default timeout is set: union both.
  const flags = [...new Set([...(Array.isArray(o.flags) ? o.flags.map(String) : []), ...(listing?.setFlags.get(name) ?? [])])] as SetFlag[];
  const typeOf = listing?.setTypeof.get(name);
  const base = {
    name,
    type,
    ...(typeOf !== undefined ? { typeof: typeOf } : {}),
    ...(flags.length ? { flags } : {}),
    ...(typeof o.timeout === 'number' ? { timeout: o.timeout } : {}),
    ...(typeof o.size === 'number' ? { size: o.size } : {}),
    ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
    elements: (Array.isArray(o.elem) ? o.elem : []).map((e) => element(e, type, value)),
  };
  return value ? { kind: 'map', value, ...base } : { kind: 'set', ...base };
}

function chainOf(o: J, listing: Listing | undefined): ChainContent {
  const name = String(o.name);
  const c: ChainContent = { kind: 'chain', name, rules: [] };
  if (typeof o.hook === 'string') {
    c.base = {
      type: String(o.type) as 'filter' | 'nat' | 'route',
      hook: o.hook as Hook,
      priority: Number(o.prio),
      policy: (o.policy === 'drop' ? 'drop' : 'accept'),
      ...(typeof o.dev === 'string' ? { device: o.dev } : {}),
    };
  }
  const comment = (typeof o.comment === 'string' ? o.comment : undefined) ?? listing?.chainComments.get(name);
  if (comment !== undefined) c.comment = comment;
  return c;
}

/** Parse `nft -j list table F N`; `listing` (from `nft -a list table F N`) supplies rule text. */
export function parseTableJson(json: unknown, listing?: Listing): TableContent {
  const items = objects(json);
  const table = items.map((i) => obj(i.table)).find((t) => t.name !== undefined);
  if (!table) throw new NftError('HAWSER_NFT_NOT_FOUND', 'no table in nft -j output');
  const out: TableContent = { family: String(table.family) as Family, name: String(table.name), chains: [], sets: [], maps: [] };
  const comment = (typeof table.comment === 'string' ? table.comment : undefined) ?? listing?.tableComment;
  if (comment !== undefined) out.comment = comment;
  const chains = new Map<string, ChainContent>();
  for (const item of items) {
    if (item.set || item.map) {
      const s = setOf(obj(item.set ?? item.map), listing);
      if (s.kind === 'map') out.maps.push(s); else out.sets.push(s);
    } else if (item.chain) {
      const c = chainOf(obj(item.chain), listing);
      chains.set(c.name, c);
      out.chains.push(c);
    } else if (item.rule) {
      const r = obj(item.rule);
      const handle = Number(r.handle);
      const text = listing?.rules.get(handle);
      if (listing && !text) throw new NftError('HAWSER_NFT_UNKNOWN', `rule handle ${handle} missing from the text listing`);
      const rule = { rule: text?.text ?? '', handle, ...(typeof r.comment === 'string' ? { comment: r.comment } : {}) };
      chains.get(String(r.chain))?.rules.push(rule);
    }
  }
  return out;
}

export function parseTablesJson(json: unknown): TableRef[] {
  return objects(json)
    .filter((i) => i.table)
    .map((i) => ({ family: String(obj(i.table).family) as Family, name: String(obj(i.table).name) }));
}

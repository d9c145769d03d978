// Cases built from the rule forms captured for the canonicaliser (src/kernel/nft/fixtures):
// every form is loaded into the kernel and into the fake, and their dumps compared, so the
// fixtures are re-checked against the running nft and kernel, not only at capture time.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transaction } from '../../src/kernel/nft/transaction.js';
import type { Family } from '../../src/kernel/nft/types.js';
import { TABLE, type Case } from './cases.js';

interface Form { family: Family; chain: string; input: string }

/** Forms nft rewrites into another operator; the canonicaliser does not model them. */
const UNMODELLED = new Set(['tcp flags & (syn|ack) == syn accept']);

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

function forms(): Form[] {
  const dir = join(repoRoot(), 'src/kernel/nft/fixtures');
  return ['rule-forms.ip.json', 'rule-forms.ip6-inet.json']
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Form[])
    .filter((f) => !UNMODELLED.has(f.input));
}

/** The objects the captured forms refer to (as in the capture table). */
function scaffold(family: Family): Transaction {
  const addr = family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
  const t = new Transaction(family, TABLE)
    .add({ kind: 'table' })
    .add({ kind: 'set', name: 's', type: [addr] })
    .add({ kind: 'set', name: 'aff', type: [addr], flags: ['dynamic', 'timeout'], timeout: 10800, size: 1000 })
    .add({ kind: 'map', name: 'm', type: [addr, 'inet_proto', 'inet_service'], value: ['verdict'] })
    .add({ kind: 'chain', name: 'n', base: { type: 'nat', hook: 'prerouting', priority: -100 } })
    .add({ kind: 'chain', name: 'o', base: { type: 'nat', hook: 'postrouting', priority: 100 } })
    .add({ kind: 'chain', name: 'f', base: { type: 'filter', hook: 'forward', priority: 0 } });
  if (family === 'ip') t.add({ kind: 'map', name: 'dn', type: [addr], value: [addr, 'inet_service'] });
  for (const c of ['a', 'b', 'c']) t.add({ kind: 'chain', name: c });
  return t;
}

export function ruleFormCases(): Case[] {
  const all = forms();
  return (['ip', 'ip6', 'inet'] as const).map((family) => ({
    name: `every captured rule form loads the same (${family}, ${all.filter((f) => f.family === family).length} forms)`,
    family,
    setup: [() => scaffold(family)],
    step: () => {
      const t = new Transaction(family, TABLE);
      for (const f of all.filter((x) => x.family === family)) t.add({ kind: 'rule', chain: f.chain, rule: f.input });
      return t;
    },
    expect: 'ok' as const,
  }));
}

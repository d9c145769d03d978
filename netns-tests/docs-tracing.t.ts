// docs/tracing.md cannot go stale (issue 9): regenerate it against a fresh lab and compare
// with the committed page, addresses, hashes, counters and the live section's random
// choices aside. On a mismatch: `npm run build && node dist/src/lab/tracing-doc.js --write docs/tracing.md`.
// The live section must still end in AGREE.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasCommand } from '../src/kubelet/self.js';
import { generateTracingDoc, normaliseTracingDoc } from '../src/lab/tracing-doc.js';

const PAGE = fileURLToPath(new URL('../../docs/tracing.md', import.meta.url));

if (!hasCommand('agent')) {
  t.plan(0, 'hawser agent is not built');
} else {
  t.test('docs/tracing.md is what hawser trace prints today', async (t) => {
    const fresh = await generateTracingDoc();
    const committed = readFileSync(PAGE, 'utf8');
    t.equal(normaliseTracingDoc(committed), normaliseTracingDoc(fresh), 'the page matches a fresh run (regenerate it with node dist/src/lab/tracing-doc.js --write docs/tracing.md)');
    t.match(fresh, /\nAGREE: the kernel chose /, 'the live trace agrees with the static one');
    t.notMatch(fresh, /DISAGREE|UNDECIDED/, 'no disagreement anywhere');
  });
}

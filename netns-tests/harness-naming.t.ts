// The harness's naming and ownership rules (pure; no kernel needed).
import t from 'tap';
import { netnsName, newPrefix, ownerAlive, parseNetnsName, prefixOwner, processStartTime } from './lib/naming.js';

t.test('names encode the owner pid and round-trip', async (t) => {
  const p = newPrefix(123456);
  t.match(p, /^hwt[0-9a-z]+\.[0-9a-z]{3}$/);
  t.equal(prefixOwner(p), 123456);
  t.same(parseNetnsName(netnsName(p, 'node-1')), { prefix: p, short: 'node-1' });
});

t.test('namespaces of other shapes are never claimed', async (t) => {
  for (const n of ['hwtl1a2b-a', 'hwt-a', 'hwt12.abcd-a', 'cni-1234', 'hwt12.abc', 'xhwt12.abc-a', 'hw1234-node']) {
    t.equal(parseNetnsName(n), undefined, n);
  }
  t.equal(prefixOwner('hwtZZ.abc'), undefined);
});

t.test('short names that would not parse back are refused', async (t) => {
  t.throws(() => netnsName(newPrefix(1), 'a/b'));
  t.throws(() => netnsName(newPrefix(1), ''));
});

t.test('ownerAlive checks pid and start time', async (t) => {
  const startTime = processStartTime(process.pid);
  t.match(startTime, /^\d+$/);
  t.equal(ownerAlive({ pid: process.pid, startTime }), true);
  t.equal(ownerAlive({ pid: process.pid, startTime: `${startTime}1` }), false, 'same pid, other start: reused pid');
  t.equal(ownerAlive({ pid: 2 ** 22 + 1, startTime: undefined }), false, 'no such pid');
});

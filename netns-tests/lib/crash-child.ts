// A throw-away test process for harness-crash.t.ts: builds a small world (switch, two
// namespaces, an echo server and a probe agent inside), prints what it built as one
// JSON line, then waits for a command on stdin: "throw" (uncaught exception), "exit"
// (process.exit), "end" (stop waiting: Node exits when its event loop is empty, with
// the world never closed), or nothing (the parent kills it with a signal).
import { createInterface } from 'node:readline';
import { World } from './world.js';
import { startEchoServer, tcpProbe } from './traffic.js';

const w = await World.create({ noSweep: true });
await w.addSwitch('sw');
await w.addNetns('a');
await w.addNetns('b');
await w.plug('a', 'sw', { addresses: ['10.0.0.1/24'] });
await w.plug('b', 'sw', { addresses: ['10.0.0.2/24'] });
const server = await startEchoServer(w, 'b', { name: 'b', listen: [{ proto: 'tcp', port: 8080 }] });
const r = await tcpProbe(w, 'a', '10.0.0.2', 8080); // starts the probe agent inside a
process.stdout.write(JSON.stringify({
  prefix: w.prefix,
  netns: [...w.namespaces().values()],
  serverPid: server.pid,
  probeOk: r.ok,
}) + '\n');

const keepAlive = setInterval(() => undefined, 60_000);
const rl = createInterface({ input: process.stdin }).on('line', (cmd) => {
  if (cmd === 'throw') setTimeout(() => { throw new Error('crash-child: deliberate uncaught exception'); }, 0);
  if (cmd === 'exit') process.exit(3);
  if (cmd === 'end') {
    clearInterval(keepAlive);
    rl.close();
    process.stdin.unref();
  }
});

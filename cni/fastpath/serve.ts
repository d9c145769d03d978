// A standalone CNI fast-path server (what the node agent embeds): `node serve.js
// [--socket PATH]`. Prints "ready <socket>" once listening and "served <command>
// <container>" per call, so tests can tell which path a call took.
import { startCniServer } from './server.js';
import type { Plugin, PluginContext } from '../skel/dispatch.js';

const i = process.argv.indexOf('--socket');
const socketPath = i > 0 ? process.argv[i + 1] : undefined;
const { hawserPlugin } = await import('../plugin.js');
const note = (ctx: PluginContext) => process.stdout.write(`served ${ctx.env.command} ${ctx.env.containerId}\n`);
const traced: Plugin = {
  add: (c) => { note(c); return hawserPlugin.add(c); },
  del: (c) => { note(c); return hawserPlugin.del(c); },
  check: (c) => { note(c); return hawserPlugin.check(c); },
  status: (c) => { note(c); return hawserPlugin.status(c); },
  gc: (c) => { note(c); return hawserPlugin.gc(c); },
};
const server = await startCniServer({ socketPath, plugin: traced });
process.stdout.write(`ready ${server.socketPath}\n`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => void server.close().then(() => process.exit(0)));
}

// The plugin process: what the runtime executes (through the launcher `hawser cni
// install` writes). Reads stdin, runs the skel, prints the outcome. Its import graph is
// kept to the plugin itself (no commander, no pino): Node's start-up is already most of
// an ADD's time.
import { dispatch } from './skel/dispatch.js';
import { SUPPORTED_VERSIONS } from './skel/version.js';
import { hawserPlugin } from './plugin.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (!process.env.CNI_COMMAND) {
  // Run by hand: say what this is, as the reference plugins do (the error follows on stdout).
  process.stderr.write(`hawser CNI plugin; CNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`);
}
const out = await dispatch(process.env, await readStdin(), hawserPlugin);
if (out.stdout) process.stdout.write(out.stdout + '\n');
process.exitCode = out.exitCode;

// Many iproute2 commands in one process: `ip -batch -` reads one command per line. One
// nsenter+ip start costs a few ms (see README.md's figures); wiring a pod or a lab node
// takes 5–15 commands, so batching is the fast path for multi-step setups.
import { run } from '../exec.js';
import { LinkError, classify } from './errors.js';
import { ipArgv, type NsOptions } from './ip.js';

export interface BatchOptions extends NsOptions {
  /**
   * Keep going after a failing line (`ip -force`); the failures are still reported.
   * Without it the batch stops at the first failure and later lines never run.
   */
  force?: boolean;
}

/** One argv element per word; refuses words the batch line parser would split or eat. */
export function batchLine(argv: string[]): string {
  for (const w of argv) {
    if (w === '' || /[\s"'\\#]/.test(w)) throw new LinkError('HAWSER_LINK_INVALID', `batch word ${JSON.stringify(w)} cannot be quoted for ip -batch`);
  }
  return argv.join(' ');
}

/** Run `ip` commands (argv after `ip`, one per entry) inside opts.netns in one process. */
export async function ipBatch(commands: string[][], opts: BatchOptions = {}): Promise<void> {
  if (commands.length === 0) return;
  const input = commands.map(batchLine).join('\n') + '\n';
  const { argv, netns } = ipArgv('ip', opts.force ? ['-force', '-batch', '-'] : ['-batch', '-'], opts.netns);
  const r = await run(argv, { netns, input, allowFailure: true });
  if (r.code !== 0) {
    // iproute2 prints the kernel's error then "Command failed -:<line>".
    const line = /Command failed -:(\d+)/.exec(r.stderr)?.[1];
    const which = line ? ` (line ${line}: ${commands[Number(line) - 1]?.join(' ')})` : '';
    throw new LinkError(classify(r.stderr), `ip -batch failed${which}: ${r.stderr.trim()}`, argv, r.stderr);
  }
}

// `hawser lab down`: remove everything a lab created, idempotently, from its name alone —
// after a clean run, after a crashed `lab up`, or with the state dir already gone.
//   1. the root-namespace forwarder (the only process of ours outside the lab's namespaces),
//      found by its argv (`lab forward --lab <name>`), not by a pid that may be reused;
//   2. every process inside the lab's namespaces (`ip netns pids`), pods' included;
//   3. the namespaces (pod sandboxes first, the underlay last);
//   4. the state dir.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { findProcesses, terminate } from '../kernel/spawn-in-netns.js';
import { sweepLabNamespaces, type Progress } from './network.js';
import { checkLabName, labStateDir } from './plan.js';

export interface DownOptions {
  name: string;
  stateRoot?: string;
  progress?: Progress;
  /** Copy the logs here before removing the state dir (used when `lab up` fails). */
  keepLogs?: string;
}

export interface DownResult { processes: number; namespaces: string[]; stateDir: boolean }

/** argv of a forwarder of this lab: `… hawser.js lab forward --lab NAME …`. */
export function isLabForwarder(argv: string[], name: string): boolean {
  const i = argv.indexOf('forward');
  return i > 0 && argv[i - 1] === 'lab' && argv[argv.indexOf('--lab') + 1] === name && argv.includes('--lab');
}

export async function labDown(opts: DownOptions): Promise<DownResult> {
  checkLabName(opts.name);
  const progress = opts.progress ?? (() => {});
  const forwarders = findProcesses((argv) => isLabForwarder(argv, opts.name));
  await terminate(forwarders.map((p) => p.pid), 2000);
  const namespaces = await sweepLabNamespaces(opts.name);
  if (namespaces.length) progress(`removed ${namespaces.length} namespaces: ${namespaces.join(' ')}`);
  const dir = labStateDir(opts.name, opts.stateRoot);
  const hadDir = existsSync(dir);
  if (hadDir) {
    if (opts.keepLogs && existsSync(`${dir}/logs`)) cpSync(`${dir}/logs`, opts.keepLogs, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    progress(`removed ${dir}`);
  }
  return { processes: forwarders.length, namespaces, stateDir: hadDir };
}

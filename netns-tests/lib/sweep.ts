// Crash safety: remove what earlier harness runs left behind when their process died
// without cleaning up (SIGKILL, OOM, a crashed runner). Only namespaces whose name has
// the harness shape (naming.ts) are considered, and only those whose owner is dead.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { listNetns } from '../../src/kernel/netns/namespace.js';
import { STATE_DIR, ownerAlive, parseNetnsName, prefixOwner, type OwnerState } from './naming.js';
import { destroyNetnsSync } from './teardown.js';

export interface WorldState extends OwnerState {
  prefix: string;
  netns: string[];
}

export function statePath(prefix: string): string {
  return `${STATE_DIR}/${prefix}.json`;
}

function readState(prefix: string): WorldState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(prefix), 'utf8')) as WorldState;
  } catch {
    return undefined;
  }
}

/** The owner of a prefix: from its state file, else from the pid in the name. */
function ownerOf(prefix: string): OwnerState | undefined {
  const state = readState(prefix);
  if (state) return state;
  const pid = prefixOwner(prefix);
  return pid === undefined ? undefined : { pid, startTime: undefined };
}

export interface SweepReport {
  netns: string[];
  stateFiles: string[];
}

/** Remove every leftover of dead harness runs; returns what was removed. */
export async function sweepLeftovers(): Promise<SweepReport> {
  const report: SweepReport = { netns: [], stateFiles: [] };
  const dead = new Map<string, boolean>();
  const isDead = (prefix: string) => {
    if (!dead.has(prefix)) {
      const owner = ownerOf(prefix);
      dead.set(prefix, owner !== undefined && !ownerAlive(owner));
    }
    return dead.get(prefix)!;
  };
  for (const name of await listNetns()) {
    const parsed = parseNetnsName(name);
    if (!parsed || !isDead(parsed.prefix)) continue;
    destroyNetnsSync(name);
    report.netns.push(name);
  }
  let files: string[] = [];
  try {
    files = readdirSync(STATE_DIR);
  } catch { /* no state dir yet */ }
  for (const f of files) {
    const prefix = f.replace(/\.json$/, '');
    if (prefixOwner(prefix) === undefined || !isDead(prefix)) continue;
    // A state file may list namespaces that a crash left half-created under other names.
    for (const name of readState(prefix)?.netns ?? []) {
      if (parseNetnsName(name)?.prefix === prefix) destroyNetnsSync(name);
    }
    rmSync(statePath(prefix), { force: true });
    report.stateFiles.push(f);
  }
  return report;
}

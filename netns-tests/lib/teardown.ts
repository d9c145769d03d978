// Removing a namespace completely, synchronously.
//
// Synchronous on purpose: it also runs from process 'exit' and signal handlers, where
// no further event-loop turn is guaranteed. Order matters: `ip netns del` only unmounts
// the name — a namespace lives on, invisible, while any process is still inside it — so
// every process in it is killed (and reaped by the kernel) first.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { NETNS_DIR } from '../../src/kernel/netns/paths.js';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Pids whose network namespace is the named one (what `ip netns pids` reports). */
export function pidsInNetnsSync(name: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1);
}

/** Running (not a zombie: a zombie has already left its namespaces). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL every process inside the namespace and wait (≤ 3 s) until they are gone. */
export function killNetnsProcessesSync(name: string): number[] {
  const pids = pidsInNetnsSync(name).filter((p) => p !== process.pid);
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  const deadline = Date.now() + 3000;
  while (pids.some(processRunning) && Date.now() < deadline) sleepSync(20);
  return pids;
}

export function netnsExists(name: string): boolean {
  try {
    return readdirSync(NETNS_DIR).includes(name);
  } catch {
    return false;
  }
}

/** Kill what runs inside, then delete the namespace (and with it every link in it). */
export function destroyNetnsSync(name: string): void {
  if (!netnsExists(name)) return;
  killNetnsProcessesSync(name);
  spawnSync('ip', ['netns', 'delete', name], { encoding: 'utf8', timeout: 5000 });
}

/** The namespace inode a process is in (for asserting where something runs). */
export function netnsOfPid(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

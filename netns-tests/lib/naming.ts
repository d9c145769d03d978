// Names of everything a test world creates, and how to tell whose it is.
//
// Every namespace a World creates is called `<prefix>-<short>`, where the prefix is
//   hwt<owner pid, base 36>.<3 random base-36 chars>      e.g. hwt2x1f.k9q-node1
// The fixed marker `hwt` plus that exact shape is what the sweep looks for: a namespace
// not of this shape is never touched. The owner's pid is in the name so that a leftover
// is recognisable even if its state file (/run/hawser-tests/<prefix>.json) was lost;
// the state file adds the owner's start time, which makes pid reuse harmless.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const MARKER = 'hwt';
export const STATE_DIR = '/run/hawser-tests';
const PREFIX_RE = /^hwt([0-9a-z]{1,7})\.([0-9a-z]{3})$/;
const NETNS_RE = /^(hwt[0-9a-z]{1,7}\.[0-9a-z]{3})-([A-Za-z0-9_.-]{1,40})$/;

export function newPrefix(pid = process.pid): string {
  const rand = [...randomBytes(3)].map((b) => (b % 36).toString(36)).join('');
  return `${MARKER}${pid.toString(36)}.${rand}`;
}

/** The owner pid of a harness prefix, or undefined when the text is not one. */
export function prefixOwner(prefix: string): number | undefined {
  const m = PREFIX_RE.exec(prefix);
  return m ? parseInt(m[1]!, 36) : undefined;
}

/** Split a namespace name into prefix and short name; undefined when it is not ours. */
export function parseNetnsName(name: string): { prefix: string; short: string } | undefined {
  const m = NETNS_RE.exec(name);
  return m ? { prefix: m[1]!, short: m[2]! } : undefined;
}

export function netnsName(prefix: string, short: string): string {
  const name = `${prefix}-${short}`;
  if (!parseNetnsName(name)) throw new Error(`invalid namespace short name ${JSON.stringify(short)}`);
  return name;
}

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or
 * undefined when there is no such process. The comm field may hold spaces and
 * parentheses, so fields are counted after the last ')'.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface OwnerState {
  pid: number;
  startTime: string | undefined;
}

/** Whether the owner is still running: same pid AND same start time when we know it. */
export function ownerAlive(owner: OwnerState): boolean {
  const now = processStartTime(owner.pid);
  if (now === undefined) return false;
  return owner.startTime === undefined || owner.startTime === now;
}

// Telling whether a pod's network namespace still exists, for the sweep. A netns is an
// nsfs inode; CNI_NETNS is either a bind mount of it (/run/netns/…, /var/run/netns/cni-…)
// or /proc/<pid>/ns/net. stat() follows both to the nsfs inode, so dev:ino identifies the
// namespace itself: a path that still exists but now names another namespace (a recycled
// pid, a re-created bind mount) is seen as gone.
import { stat } from 'node:fs/promises';
import type { Reservation } from './store.js';

export async function netnsIdentity(path: string): Promise<string | undefined> {
  if (path === '') return undefined;
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** The default sweep test: the recorded namespace is still there and is still the same one. */
export async function reservationNetnsAlive(r: Reservation): Promise<boolean> {
  if (r.netns === '') return true; // nothing recorded to judge by: leave it to GC
  const id = await netnsIdentity(r.netns);
  if (id === undefined) return false;
  return r.netnsId === undefined || r.netnsId === id;
}

// Mutual exclusion between plugin processes around the IPAM store's read-decide-write.
//
// Node has no flock(2). The lock is a file created atomically *with its content*: the
// holder's identity is written to a private temp file which is then link(2)ed to `lock`;
// link fails with EEXIST when the lock exists, so there is never a lock file without an
// owner in it (a plain O_EXCL create leaves an empty file if the process dies between
// open and write). The identity is pid + process start time + a random token: the start
// time makes pid reuse harmless, the token tells two holders of one pid (worker threads)
// apart.
//
// A holder that died (SIGKILL, OOM) leaves its lock behind; a waiter that sees a lock
// whose process no longer exists takes it over by rename(2)ing it aside — only one
// waiter's rename of that inode can succeed — and checking that what it moved is the dead
// holder's lock. If it moved a live lock instead (another waiter took over in between),
// it links it back. The residual race (a third process creating a lock in that instant)
// could let two processes into the critical section at once; the store is built so that
// even then no address is handed out twice (each reservation is its own link(2)ed file).
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../skel/errors.js';

export interface LockOptions {
  /** Give up (code 11, try again later) after this long. Default 10 s. */
  timeoutMs?: number;
}

/** /proc/<pid>/stat field 22 (start time in ticks), after the last ')' of the comm field. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function ownIdentity(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? '?'} ${randomBytes(6).toString('hex')}`;
}

/** Whether the process that wrote `identity` is still running. */
export function holderAlive(identity: string): boolean {
  const [pid, start] = identity.split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = processStartTime(n);
  return now !== undefined && (start === '?' || now === start);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

async function readOr(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function tryCreate(lockPath: string, tmp: string): Promise<boolean> {
  try {
    await link(tmp, lockPath);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  }
}

async function takeOver(lockPath: string, seen: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if (code(e) === 'ENOENT') return; // someone else removed it first
    throw e;
  }
  const moved = await readOr(aside);
  if (moved !== seen) {
    // We moved a live lock: put it back unless a new one appeared meanwhile.
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Callers in one process (the node agent serving many CNI calls at once) queue here
 * first, so at most one of them at a time contends for the file lock: without this they
 * would all poll it with sleeps and a burst of ADDs would mostly wait on timers.
 */
const queues = new Map<string, Promise<unknown>>();

export function withLock<T>(dir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const prev = queues.get(dir) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => withFileLock(dir, fn, opts));
  const tail = next.catch(() => undefined);
  queues.set(dir, tail);
  void tail.then(() => { if (queues.get(dir) === tail) queues.delete(dir); });
  return next;
}

/** The cross-process lock alone (exported for its own tests). */
export async function withFileLock<T>(dir: string, fn: () => Promise<T>, opts: LockOptions): Promise<T> {
  const lockPath = join(dir, 'lock');
  const me = ownIdentity();
  const tmp = join(dir, `.lock-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, me, { mode: 0o600, flag: 'wx' });
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  try {
    for (let attempt = 0; ; attempt++) {
      if (await tryCreate(lockPath, tmp)) break;
      const holder = await readOr(lockPath);
      if (holder !== undefined && !holderAlive(holder)) {
        await takeOver(lockPath, holder);
        continue;
      }
      if (Date.now() > deadline) {
        throw new CniError(CniCode.TryAgainLater, 'IPAM store is locked', `${lockPath} held by ${holder ?? '?'}`);
      }
      // Short, jittered waits: a critical section is a few file operations (~1 ms).
      await sleep(1 + Math.random() * Math.min(20, 2 + attempt));
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  try {
    return await fn();
  } finally {
    if ((await readOr(lockPath)) === me) await unlink(lockPath).catch(() => undefined);
  }
}

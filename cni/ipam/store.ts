// The IPAM store of one network on one node: a directory (0700) under dataDir holding
//   <ip>            one reservation per address, JSON, 0600
//   att/<hash>      the address of one attachment (hash of container ID + ifname)
//   last-reserved   the round-robin cursor
//   lock            see lock.ts
// Every decision (re-ADD lookup, choice of the next address, release) happens under the
// lock. ADD and DEL read one index file and the directory's names, never every
// reservation: reading them all made an ADD cost ≈ 1 ms per pod already on the node.
// The index is written before the reservation and removed after it, so a crash leaves at
// worst an index entry naming an address that is not (or no longer) the attachment's,
// which every reader verifies against the reservation itself. Independently of the lock, a reservation file is created by link(2)ing a
// complete temp file to the address's name, which fails with EEXIST if the address is
// taken: two processes can never both own an address, and a crash never leaves a
// half-written reservation (process crash: link is atomic; the temp file it may leave
// is swept). Files are not fsynced: after a power loss every pod's netns is gone too,
// and the node agent's sweep (or a GC) releases whatever the disk still remembers.
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAddress } from '../../src/net/address.js';
import { CniCode, CniError } from '../skel/errors.js';
import { withLock, type LockOptions } from './lock.js';
import { inPool, nextFree, poolSize, type Pool } from './pool.js';

export interface Attachment {
  containerId: string;
  ifname: string;
}

export interface Reservation extends Attachment {
  ip: string;
  /** CNI_NETNS at ADD time. */
  netns: string;
  /** dev:inode of that netns at ADD time: a recycled /proc/<pid> path is then told apart. */
  netnsId: string | undefined;
  createdAt: string;
}

export interface AllocateRequest extends Attachment {
  netns: string;
  netnsId?: string;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
const sameAttachment = (a: Attachment, b: Attachment) => a.containerId === b.containerId && a.ifname === b.ifname;
const TEMP_PREFIX = '.tmp-';
const INDEX_DIR = 'att';

export function attachmentKey(a: Attachment): string {
  return createHash('sha256').update(`${a.containerId}\0${a.ifname}`).digest('hex').slice(0, 32);
}

export class IpamStore {
  constructor(
    readonly dir: string,
    private readonly lockOptions: LockOptions = {},
  ) {}

  /** The store directory of network `name` under dataDir (name is validated by the skel). */
  static forNetwork(dataDir: string, name: string, lockOptions?: LockOptions): IpamStore {
    return new IpamStore(join(dataDir, name), lockOptions);
  }

  private async ensureDir(): Promise<void> {
    await mkdir(join(this.dir, INDEX_DIR), { recursive: true, mode: 0o700 });
  }

  private async readReservation(ip: string): Promise<Reservation | undefined> {
    try {
      return { ...(JSON.parse(await readFile(join(this.dir, ip), 'utf8')) as Reservation), ip };
    } catch {
      return undefined;
    }
  }

  /** The attachment's reservation through the index, verified against the reservation. */
  private async lookup(a: Attachment): Promise<Reservation | undefined> {
    let ip: string;
    try {
      ip = (await readFile(join(this.dir, INDEX_DIR, attachmentKey(a)), 'utf8')).trim();
    } catch {
      return undefined;
    }
    if (parseAddress(ip) === undefined) return undefined;
    const r = await this.readReservation(ip);
    return r && sameAttachment(r, a) ? r : undefined;
  }

  private async reservedAddresses(): Promise<Set<string>> {
    return new Set((await readdir(this.dir)).filter((n) => parseAddress(n) !== undefined));
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.dir, fn, this.lockOptions);
  }

  /** Every reservation; a file that cannot be read as one is reported with owner unknown. */
  async list(): Promise<Reservation[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if (code(e) === 'ENOENT') return [];
      throw e;
    }
    const ips = names.filter((n) => parseAddress(n) !== undefined);
    const out = await Promise.all(ips.map(async (ip): Promise<Reservation | undefined> => {
      try {
        const r = JSON.parse(await readFile(join(this.dir, ip), 'utf8')) as Reservation;
        return { ...r, ip };
      } catch (e) {
        if (code(e) === 'ENOENT') return undefined; // released while we listed
        return { ip, containerId: '', ifname: '', netns: '', netnsId: undefined, createdAt: '' };
      }
    }));
    return out.filter((r): r is Reservation => r !== undefined);
  }

  async find(a: Attachment): Promise<Reservation | undefined> {
    return this.lookup(a);
  }

  /**
   * Reserve an address for the attachment, or return the one it already has (a repeated
   * ADD must give the same answer). Exhaustion is code 11: addresses come back as pods
   * are deleted, and the runtime retries the sandbox.
   */
  async allocate(req: AllocateRequest, pool: Pool): Promise<{ reservation: Reservation; existing: boolean }> {
    await this.ensureDir();
    return this.locked(async () => {
      const mine = await this.lookup(req);
      if (mine && inPool(pool, mine.ip)) return { reservation: mine, existing: true };
      const taken = await this.reservedAddresses();
      let cursor = await this.readCursor();
      for (;;) {
        const ip = nextFree(pool, taken, cursor);
        if (ip === undefined) {
          throw new CniError(CniCode.TryAgainLater, `no free address in pod CIDR ${pool.cidr}`, `${taken.size} of ${poolSize(pool)} addresses reserved`);
        }
        const reservation: Reservation = {
          containerId: req.containerId, ifname: req.ifname, ip, netns: req.netns, netnsId: req.netnsId, createdAt: new Date().toISOString(),
        };
        await this.writeAtomic(join(INDEX_DIR, attachmentKey(req)), ip);
        if (await this.createExclusive(ip, JSON.stringify(reservation))) {
          await this.writeCursor(ip);
          return { reservation, existing: false };
        }
        // Taken behind our back (only possible if the lock was broken): try the next one.
        taken.add(ip);
        cursor = ip;
      }
    });
  }

  /** Release the attachment's address; returns what was released (undefined: nothing held). */
  async release(a: Attachment): Promise<Reservation | undefined> {
    if (!(await this.exists())) return undefined;
    return this.locked(async () => {
      const r = await this.lookup(a);
      if (r) await this.remove(r);
      else await unlink(join(this.dir, INDEX_DIR, attachmentKey(a))).catch(() => undefined);
      return r;
    });
  }

  private async exists(): Promise<boolean> {
    try {
      await stat(this.dir);
      return true;
    } catch (e) {
      if (code(e) === 'ENOENT') return false;
      throw e;
    }
  }

  /** Reservation first, index second (see the header). */
  private async remove(r: Reservation): Promise<void> {
    await unlink(join(this.dir, r.ip)).catch((e: unknown) => { if (code(e) !== 'ENOENT') throw e; });
    if (r.containerId === '') return;
    const idx = join(this.dir, INDEX_DIR, attachmentKey(r));
    const points = await readFile(idx, 'utf8').catch(() => undefined);
    if (points?.trim() === r.ip) await unlink(idx).catch(() => undefined);
  }

  /**
   * CNI GC (spec 1.1): release every reservation whose attachment is not in `valid`,
   * including unreadable ones. Returns the released reservations.
   */
  async gc(valid: readonly Attachment[]): Promise<Reservation[]> {
    const keep = new Set(valid.map((a) => `${a.containerId}\0${a.ifname}`));
    return this.releaseWhere((r) => !keep.has(`${r.containerId}\0${r.ifname}`));
  }

  /**
   * For the node agent: release reservations whose network namespace is gone (the pod
   * died without a DEL — host-local's classic address leak). `alive` decides per
   * reservation; see netns-id.ts for the default test.
   */
  async sweep(alive: (r: Reservation) => Promise<boolean>): Promise<Reservation[]> {
    const verdicts = new Map<string, boolean>();
    for (const r of await this.list()) verdicts.set(r.ip, await alive(r));
    return this.releaseWhere((r) => verdicts.get(r.ip) === false);
  }

  private async releaseWhere(pred: (r: Reservation) => boolean): Promise<Reservation[]> {
    if (!(await this.exists())) return [];
    return this.locked(async () => {
      const gone = (await this.list()).filter(pred);
      for (const r of gone) await this.remove(r);
      await this.sweepTemps();
      return gone;
    });
  }

  /** Temp files of processes that died between write and link/rename. */
  private async sweepTemps(): Promise<void> {
    const names = await readdir(this.dir);
    const cutoff = Date.now() - 60_000;
    for (const n of names.filter((x) => x.startsWith(TEMP_PREFIX) || x.startsWith('.lock-') || x.startsWith('lock.stale-'))) {
      const s = await stat(join(this.dir, n)).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) await unlink(join(this.dir, n)).catch(() => undefined);
    }
  }

  private async createExclusive(name: string, content: string): Promise<boolean> {
    const tmp = join(this.dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    try {
      await link(tmp, join(this.dir, name));
      return true;
    } catch (e) {
      if (code(e) === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  private async readCursor(): Promise<string | undefined> {
    try {
      return (await readFile(join(this.dir, 'last-reserved'), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  private async writeCursor(ip: string): Promise<void> {
    await this.writeAtomic('last-reserved', ip);
  }

  /** Write-temp-then-rename: readers see the old content or the new, never a torn file. */
  private async writeAtomic(rel: string, content: string): Promise<void> {
    const tmp = join(this.dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await rename(tmp, join(this.dir, rel));
  }
}

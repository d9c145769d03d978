import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpamStore, attachmentKey } from './store.js';
import { poolFor } from './pool.js';
import { holderAlive, ownIdentity, withFileLock, withLock } from './lock.js';
import { netnsIdentity, reservationNetnsAlive } from './netns-id.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'hawser-ipam-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const pool = poolFor('10.244.7.0/24');
const att = (i: number) => ({ containerId: `c${i}`, ifname: 'eth0', netns: `/run/netns/p${i}` });

describe('IpamStore', () => {
  it('allocates in order, files 0600 in a 0700 dir, round-robin after release', async () => {
    const s = new IpamStore(join(dir, 'net'));
    expect((await s.allocate(att(1), pool)).reservation.ip).toBe('10.244.7.2');
    expect((await s.allocate(att(2), pool)).reservation.ip).toBe('10.244.7.3');
    expect((await stat(join(dir, 'net', '10.244.7.2'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'net'))).mode & 0o777).toBe(0o700);
    expect((await s.release({ containerId: 'c1', ifname: 'eth0' }))?.ip).toBe('10.244.7.2');
    expect((await s.allocate(att(3), pool)).reservation.ip).toBe('10.244.7.4');
    const names = (await readdir(join(dir, 'net'))).sort();
    expect(names).toEqual(['10.244.7.3', '10.244.7.4', 'att', 'last-reserved']);
    expect((await readdir(join(dir, 'net', 'att'))).length).toBe(2);
  });

  it('re-ADD of the same container+ifname returns the existing address', async () => {
    const s = new IpamStore(dir);
    const a = await s.allocate(att(1), pool);
    const b = await s.allocate(att(1), pool);
    expect(b).toEqual({ reservation: a.reservation, existing: true });
    const other = await s.allocate({ ...att(1), ifname: 'net1' }, pool);
    expect(other.reservation.ip).not.toBe(a.reservation.ip);
  });

  it('an index entry left by a crash (no reservation behind it, or someone else\'s) is not trusted', async () => {
    const s = new IpamStore(dir);
    await s.allocate(att(1), pool); // .2
    await mkdir(join(dir, 'att'), { recursive: true });
    await writeFile(join(dir, 'att', attachmentKey({ containerId: 'c2', ifname: 'eth0' })), '10.244.7.2');
    await writeFile(join(dir, 'att', attachmentKey({ containerId: 'c3', ifname: 'eth0' })), '10.244.7.50');
    expect(await s.find({ containerId: 'c2', ifname: 'eth0' })).toBeUndefined();
    expect((await s.allocate(att(2), pool)).reservation.ip).toBe('10.244.7.3');
    expect((await s.allocate(att(3), pool))).toMatchObject({ existing: false, reservation: { ip: '10.244.7.4' } });
    expect(await s.release({ containerId: 'c1', ifname: 'eth0' })).toMatchObject({ ip: '10.244.7.2' });
    expect((await s.list()).map((r) => r.containerId).sort()).toEqual(['c2', 'c3']);
  });

  it('release of an unknown attachment, or in a missing dir, is a no-op', async () => {
    expect(await new IpamStore(join(dir, 'none')).release({ containerId: 'x', ifname: 'eth0' })).toBeUndefined();
    const s = new IpamStore(dir);
    await s.allocate(att(1), pool);
    expect(await s.release({ containerId: 'x', ifname: 'eth0' })).toBeUndefined();
    expect(await s.list()).toHaveLength(1);
  });

  it('exhaustion is code 11 and leaves nothing behind', async () => {
    const small = poolFor('10.244.9.0/30'); // one address
    const s = new IpamStore(dir);
    await s.allocate(att(1), small);
    const before = (await readdir(dir)).sort();
    await expect(s.allocate(att(2), small)).rejects.toMatchObject({ code: 11 });
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('concurrent allocations never share an address', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => new IpamStore(dir).allocate(att(i), pool)));
    const ips = results.map((r) => r.reservation.ip);
    expect(new Set(ips).size).toBe(60);
    expect(await new IpamStore(dir).list()).toHaveLength(60);
  });

  it('concurrent re-ADDs of one attachment reserve one address', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => new IpamStore(dir).allocate(att(1), pool)));
    expect(new Set(results.map((r) => r.reservation.ip)).size).toBe(1);
    expect(results.filter((r) => !r.existing)).toHaveLength(1);
    expect(await new IpamStore(dir).list()).toHaveLength(1);
  });

  it('an address file created behind the lock is skipped, not shared', async () => {
    const s = new IpamStore(dir);
    await s.allocate(att(1), pool);
    await writeFile(join(dir, '10.244.7.3'), '{garbage', { mode: 0o600 });
    expect((await s.allocate(att(2), pool)).reservation.ip).toBe('10.244.7.4');
    expect((await s.list()).find((r) => r.ip === '10.244.7.3')).toMatchObject({ containerId: '' });
  });

  it('GC keeps exactly the valid attachments, unreadable files included in the release', async () => {
    const s = new IpamStore(dir);
    for (const i of [1, 2, 3]) await s.allocate(att(i), pool);
    await writeFile(join(dir, '10.244.7.100'), '', { mode: 0o600 });
    const gone = await s.gc([{ containerId: 'c2', ifname: 'eth0' }, { containerId: 'c9', ifname: 'eth0' }]);
    expect(gone.map((r) => r.ip).sort()).toEqual(['10.244.7.100', '10.244.7.2', '10.244.7.4']);
    expect((await s.list()).map((r) => r.containerId)).toEqual(['c2']);
  });

  it('sweep releases reservations whose netns is gone or is another one now', async () => {
    const s = new IpamStore(join(dir, 'n'));
    const live = join(dir, 'live-ns');
    await writeFile(live, '');
    const liveId = await netnsIdentity(live);
    await s.allocate({ ...att(1), netns: live, netnsId: liveId }, pool);
    await s.allocate({ ...att(2), netns: join(dir, 'gone-ns') }, pool);
    await s.allocate({ ...att(3), netns: live, netnsId: '1:2' }, pool);
    await s.allocate({ ...att(4), netns: '' }, pool);
    const gone = await s.sweep(reservationNetnsAlive);
    expect(gone.map((r) => r.containerId).sort()).toEqual(['c2', 'c3']);
    expect((await s.list()).map((r) => r.containerId).sort()).toEqual(['c1', 'c4']);
  });
});

describe('withLock', () => {
  it.each([
    ['withLock (in-process queue + file lock)', withLock],
    ['withFileLock (the file lock alone, 20 contenders)', withFileLock],
  ])('%s serialises critical sections', async (_n, lock) => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(Array.from({ length: 20 }, () => lock(dir, async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setImmediate(r));
      inside--;
    }, {})));
    expect(maxInside).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock left by a dead process', async () => {
    await writeFile(join(dir, 'lock'), '999999999 1 deadbeef', { mode: 0o600 });
    expect(await withLock(dir, async () => readFile(join(dir, 'lock'), 'utf8'))).toMatch(new RegExp(`^${process.pid} `));
    expect(await readdir(dir)).toEqual([]);
  });

  it('times out with code 11 while a live process holds it', async () => {
    await writeFile(join(dir, 'lock'), ownIdentity(), { mode: 0o600 });
    await expect(withLock(dir, async () => 1, { timeoutMs: 50 })).rejects.toMatchObject({ code: 11 });
    expect(await readdir(dir)).toEqual(['lock']);
  });

  it.each([
    ['own identity', () => ownIdentity(), true],
    ['a pid that does not exist', () => '999999999 1 x', false],
    ['our pid with another start time', () => `${process.pid} 1 x`, false],
    ['garbage', () => 'garbage', false],
  ])('holderAlive(%s) = %s', (_n, id, want) => expect(holderAlive(id())).toBe(want));
});

// What the kubelet knows about each of its pods, kept on disk (<data-dir>/pods/<uid>.json)
// so that a restarted kubelet adopts running pods — same sandbox, same IP, same container
// processes — instead of calling CNI ADD a second time.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ContainerRecord {
  name: string;
  image: string;
  containerId: string;
  /** What was started; compared with /proc/<pid>/cmdline on adoption (pid reuse). */
  argv?: string[];
  state: 'waiting' | 'running' | 'terminated';
  pid?: number;
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** Result of the last readiness probe (true when the container has none). */
  ready: boolean;
  /** Startup probe passed (true when the container has none). */
  started: boolean;
  logFile: string;
}

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  sandboxId: string;
  netns: string;
  /** Set once CNI ADD succeeded; its presence means a DEL is owed. */
  podIPs: string[];
  network?: string;
  startTime: string;
  containers: ContainerRecord[];
  /** Why the sandbox could not be set up (shown as the containers' waiting reason). */
  sandboxError?: string;
}

export class PodRecords {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'pods');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  logDir(uid: string): string {
    const d = join(this.dir, uid);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  save(r: PodRecord): void {
    const file = join(this.dir, `${r.uid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(r, null, 1), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  remove(uid: string): void {
    rmSync(join(this.dir, `${uid}.json`), { force: true });
    rmSync(join(this.dir, uid), { recursive: true, force: true });
  }

  load(): PodRecord[] {
    if (!existsSync(this.dir)) return [];
    const out: PodRecord[] = [];
    for (const f of readdirSync(this.dir).filter((x) => x.endsWith('.json'))) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as PodRecord);
      } catch { /* a torn write from a crash: the .tmp rename makes this rare; skip it */ }
    }
    return out;
  }
}

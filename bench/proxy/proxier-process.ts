// The parent's side of worker.ts: fork it, send one request at a time, await its reply.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerReply, WorkerRequest } from './protocol.js';

type Reply<K extends WorkerReply['op']> = Extract<WorkerReply, { op: K }>;

const live = new Set<ChildProcess>();
// The worker also exits on IPC disconnect; this covers a parent that exits normally
// while a worker is still busy inside a long nft run.
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export class ProxierProcess {
  private queue: Array<(r: WorkerReply) => void> = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: WorkerReply) => this.queue.shift()?.(m));
    child.on('exit', (code, signal) => {
      live.delete(child);
      for (const f of this.queue.splice(0)) f({ op: 'error', message: `proxier worker exited (${code ?? signal})` });
    });
  }

  get pid(): number { return this.child.pid!; }

  static async start(): Promise<ProxierProcess> {
    const child = fork(fileURLToPath(new URL('./worker.js', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // gc(): the memory figure also reports what survives a full collection.
      execArgv: ['--expose-gc'],
    });
    live.add(child);
    const p = new ProxierProcess(child);
    await p.next('ready');
    return p;
  }

  private next<K extends WorkerReply['op']>(op: K): Promise<Reply<K>> {
    return new Promise((resolve, reject) => this.queue.push((r) => {
      if (r.op === op) resolve(r as Reply<K>);
      else reject(new Error(r.op === 'error' ? r.message : `worker answered ${r.op}, expected ${op}`));
    }));
  }

  request<K extends WorkerReply['op']>(req: WorkerRequest, answer: K): Promise<Reply<K>> {
    const p = this.next(answer);
    this.child.send(req);
    return p;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.request({ op: 'stop' }, 'stopped').catch(() => this.child.kill('SIGKILL'));
    await exited;
  }
}

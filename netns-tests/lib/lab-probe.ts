// Traffic from inside a `hawser lab`'s namespaces (its nodes, pods and external client)
// with the harness's own probe agent and a counting load generator (lab-load.ts).
// A lab's namespaces belong to the lab, not to a World: LabTraffic stands in for the
// World the probe helpers take (they only call ns() and spawn()), and refuses any
// namespace outside the lab's prefix, so a test never probes from another lab.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { httpProbe, tcpProbe, udpProbe, type ProbeOptions, type ProbeResult } from './traffic.js';
import type { World } from './world.js';
import type { LoadSummary } from './lab-load.js';

export type { LoadSummary } from './lab-load.js';

export class LabTraffic {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly prefix: string) {}

  ns(full: string): string {
    if (!full.startsWith(this.prefix)) throw new Error(`${full} is not a namespace of lab ${this.prefix}`);
    return full;
  }

  spawn(ns: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('nsenter', [`--net=/run/netns/${this.ns(ns)}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  private get world(): World { return this as unknown as World; }

  tcp(ns: string, host: string, port: number, opts?: ProbeOptions): Promise<ProbeResult> { return tcpProbe(this.world, ns, host, port, opts); }
  udp(ns: string, host: string, port: number, opts?: ProbeOptions): Promise<ProbeResult> { return udpProbe(this.world, ns, host, port, opts); }
  http(ns: string, host: string, port: number, opts?: ProbeOptions): Promise<ProbeResult> { return httpProbe(this.world, ns, host, port, opts); }

  /**
   * HTTP GETs at `rate` per second from `ns` until stop(); stop() resolves once every
   * request sent has ended, with the exact counts.
   */
  async load(ns: string, url: string, rate: number): Promise<{ stop: () => Promise<LoadSummary> }> {
    const script = fileURLToPath(new URL('./lab-load.js', import.meta.url));
    const child = this.spawn(ns, [process.execPath, script, JSON.stringify({ url, rate })], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const next = () => new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`load generator exited ${code}: ${stderr}`)));
    });
    await next(); // "started"
    return {
      stop: async () => {
        const summary = next();
        child.stdin!.end();
        return JSON.parse(await summary) as LoadSummary;
      },
    };
  }

  close(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}

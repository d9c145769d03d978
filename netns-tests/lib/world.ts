// A test world: network namespaces (and what is inside them) that one test process
// creates, all named with its own prefix, all removed at close() — and also on process
// exit, SIGINT, SIGTERM and uncaught exceptions. Leftovers of dead runs are swept when a
// world is created (sweep.ts).
//
// Every operation names a namespace of THIS world by its short name; there is no way to
// address the root namespace (or anyone else's) through a World: a mutating call with an
// unknown or missing namespace throws.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createNetns } from '../../src/kernel/netns/namespace.js';
import { netnsPath } from '../../src/kernel/netns/paths.js';
import { run, type RunOptions, type RunResult } from '../../src/kernel/exec.js';
import {
  addAddress, addRoute, checkLinkName, createBridge, createVethPair, ipBatch, setLinkUp, type RouteSpec,
} from '../../src/kernel/link/index.js';
import { setSysctl } from '../../src/kernel/sysctl.js';
import { STATE_DIR, netnsName, newPrefix, processStartTime } from './naming.js';
import { statePath, sweepLeftovers, type SweepReport, type WorldState } from './sweep.js';
import { destroyNetnsSync, processRunning } from './teardown.js';

export interface WorldOptions {
  /** Skip the start-up sweep (the crash-safety test's child uses this to stay cheap). */
  noSweep?: boolean;
}

export interface PlugOptions {
  /** Interface name inside `ns` (default eth0). */
  ifname?: string;
  /** Port name inside the switch namespace (default: the ns short name, ≤ 15 chars). */
  port?: string;
  /** Addresses (CIDR) to put on `ifname`. */
  addresses?: string[];
  mtu?: number;
  mac?: string;
}

const live = new Set<World>();
let handlersInstalled = false;

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanAll = () => { for (const w of live) w.destroySync(); };
  process.on('exit', cleanAll);
  // The monitor variant observes without changing how the exception is handled (tap
  // reports it; without tap Node still crashes), so cleanup never swallows an error.
  process.on('uncaughtExceptionMonitor', cleanAll);
  for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.on(sig, () => {
      cleanAll();
      process.exit(128 + num);
    });
  }
}

export class World {
  readonly prefix: string;
  private readonly netnsNames = new Map<string, string>();
  private readonly children = new Set<ChildProcess>();
  private closed = false;
  /** What the start-up sweep removed (for tests and logs). */
  swept: SweepReport = { netns: [], stateFiles: [] };

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  static async create(opts: WorldOptions = {}): Promise<World> {
    if (process.getuid?.() !== 0) throw new Error('netns tests need root');
    const w = new World(newPrefix());
    if (!opts.noSweep) w.swept = await sweepLeftovers();
    mkdirSync(STATE_DIR, { recursive: true });
    w.saveState();
    live.add(w);
    installProcessHandlers();
    return w;
  }

  private saveState(): void {
    const state: WorldState = {
      prefix: this.prefix,
      pid: process.pid,
      startTime: processStartTime(process.pid),
      netns: [...this.netnsNames.values()],
    };
    writeFileSync(statePath(this.prefix), JSON.stringify(state) + '\n');
  }

  private live(): void {
    if (this.closed) throw new Error(`world ${this.prefix} is closed`);
  }

  /** Full namespace name of one of this world's namespaces; throws for anything else. */
  ns(short: string): string {
    const full = this.netnsNames.get(short);
    if (!full) throw new Error(`no namespace ${JSON.stringify(short)} in world ${this.prefix} (the harness never acts outside its own namespaces)`);
    return full;
  }

  /** /run/netns/… path of one of this world's namespaces (what CNI_NETNS carries). */
  path(short: string): string {
    return netnsPath(this.ns(short));
  }

  /** All namespaces of this world: short name → full name. */
  namespaces(): ReadonlyMap<string, string> {
    return this.netnsNames;
  }

  /** Create a namespace (loopback up). Recorded before creation so a crash cannot lose it. */
  async addNetns(short: string): Promise<string> {
    this.live();
    if (this.netnsNames.has(short)) throw new Error(`namespace ${short} exists in this world`);
    const full = netnsName(this.prefix, short);
    this.netnsNames.set(short, full);
    this.saveState();
    await createNetns(full);
    return full;
  }

  /** A "switch": a namespace holding one bridge (STP off, up) that plug() attaches ports to. */
  async addSwitch(short: string, opts: { bridge?: string; mtu?: number } = {}): Promise<string> {
    const full = await this.addNetns(short);
    await createBridge(opts.bridge ?? 'br0', { netns: full, mtu: opts.mtu });
    return full;
  }

  /** A veth pair between two namespaces of this world, both ends up. */
  async connect(a: string, aIf: string, b: string, bIf: string, opts: { mtu?: number } = {}): Promise<void> {
    this.live();
    const na = this.ns(a);
    const nb = this.ns(b);
    await createVethPair({ name: aIf, netns: na, peerName: bIf, peerNetns: nb, mtu: opts.mtu });
    await setLinkUp(aIf, { netns: na });
    await setLinkUp(bIf, { netns: nb });
  }

  /**
   * Attach `ns` to switch `sw`: veth `ifname` in ns, port on the switch's bridge,
   * addresses. Two `ip -batch` runs instead of ≈ 6 single commands (src/kernel/link
   * README: one process costs ≈ 2.5 ms, a batch line ≈ 40 µs).
   */
  async plug(ns: string, sw: string, opts: PlugOptions = {}): Promise<void> {
    this.live();
    const ifname = opts.ifname ?? 'eth0';
    const port = opts.port ?? ns.slice(0, 15);
    checkLinkName(ifname);
    checkLinkName(port);
    const mtu = opts.mtu !== undefined ? ['mtu', String(opts.mtu)] : [];
    const mac = opts.mac !== undefined ? ['address', opts.mac] : [];
    await ipBatch([
      ['link', 'add', ifname, ...mtu, ...mac, 'type', 'veth', 'peer', 'name', port, ...mtu, 'netns', this.path(sw)],
      ['link', 'set', 'dev', ifname, 'up'],
      ...(opts.addresses ?? []).map((cidr) => ['addr', 'add', cidr, 'dev', ifname, ...(cidr.includes(':') ? ['nodad'] : [])]),
    ], { netns: this.ns(ns) });
    await ipBatch([['link', 'set', 'dev', port, 'master', 'br0', 'up']], { netns: this.ns(sw) });
  }

  async addAddress(ns: string, dev: string, cidr: string): Promise<void> {
    await addAddress(dev, cidr, { netns: this.ns(ns), nodad: true });
  }

  async addRoute(ns: string, spec: RouteSpec): Promise<void> {
    await addRoute(spec, { netns: this.ns(ns) });
  }

  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await setSysctl(key, value, { netns: this.ns(ns) });
  }

  /** Make a namespace a router (IPv4 and IPv6 forwarding). */
  async enableForwarding(ns: string): Promise<void> {
    await this.sysctl(ns, 'net.ipv4.ip_forward', 1);
    await this.sysctl(ns, 'net.ipv6.conf.all.forwarding', 1);
  }

  /** Run a command to completion inside one of this world's namespaces (default 30 s limit). */
  async exec(ns: string, argv: string[], opts: Omit<RunOptions, 'netns'> = {}): Promise<RunResult> {
    this.live();
    return run(argv, { ...opts, netns: this.ns(ns) });
  }

  /**
   * Start a long-running process inside a namespace (nsenter execs it: the pid is the
   * program's). It is killed at close(); the sweep finds it after a crash via the namespace.
   */
  spawn(ns: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    this.live();
    const child = spawn('nsenter', [`--net=${this.path(ns)}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Remove everything: processes (SIGTERM, then SIGKILL after up to 1 s), namespaces
   * (with their links), the state file. Polls with a ref'd timer: helper processes are
   * unref'd, so waiting on their 'exit' events alone would let Node exit mid-close.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const pids = [...this.children].map((c) => c.pid).filter((p): p is number => p !== undefined);
    for (const c of this.children) c.kill('SIGTERM');
    const deadline = Date.now() + 1000;
    while (pids.some(processRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.destroySync();
  }

  /** The synchronous teardown used by close() and by exit/signal handlers. */
  destroySync(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    for (const c of this.children) c.kill('SIGKILL');
    for (const full of this.netnsNames.values()) destroyNetnsSync(full);
    rmSync(statePath(this.prefix), { force: true });
  }
}

// Long-running processes inside a network namespace: the lab's daemons (apiserver,
// kubelet, agent, forwarders) and the kubelet's "containers". Short tool runs go through
// exec.ts; this file is for processes that outlive the call that started them.
//
// Processes are started in their own session (setsid) with stdio on a log file, so they
// survive the exit of whoever started them (`hawser lab up` returns; a kubelet restarts
// and adopts its pods) and no terminal signal reaches them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { commandInNetns, run } from './exec.js';
import { netnsPath } from './netns/paths.js';

export interface DetachedSpec {
  /** Namespace name under /run/netns or absolute path; unset = our own namespace. */
  netns?: string;
  argv: string[];
  /** Appended to (created 0600). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Started {
  pid: number;
  /** Resolves when the process exits — only known to the process that started it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start argv inside spec.netns, detached. nsenter execs the target (no --fork), so the
 * returned pid is the program itself, which is what signals and `ip netns pids` see.
 */
export function spawnDetached(spec: DetachedSpec): Promise<Started> {
  const argv = commandInNetns(spec.netns, spec.argv);
  const fd = openSync(spec.logFile, 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: 127, signal: null }));
    });
    // Keep reaping the child (libuv does it while the handle exists) but never keep our
    // own event loop alive for it.
    child.unref();
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve({ pid: child.pid!, exited }));
      child.once('error', (err) => reject(new Error(`starting ${spec.argv[0]}: ${String(err)}`)));
    });
  } finally {
    closeSync(fd);
  }
}

/** Run a command in a namespace with our terminal (for `hawser lab exec`); its exit code. */
export function runInteractive(netns: string | undefined, argv: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const full = commandInNetns(netns, argv);
  return new Promise((resolve) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: 'inherit', env: env ?? process.env });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Processes whose network namespace is `name` (`ip netns pids`); [] when it is gone. */
export async function netnsPids(name: string): Promise<number[]> {
  netnsPath(name);
  const r = await run(['ip', 'netns', 'pids', name], { allowFailure: true });
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0); it is dead for every purpose of ours.
  return processState(pid) !== 'Z';
}

function processState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The argv of a running process (empty when it is gone), to check a pid is still ours. */
export function processArgv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Send a signal; false when the process no longer exists. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signal every process of a process group (a detached process leads its own group). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return signalPid(-pgid, signal);
}

/**
 * SIGTERM, wait up to graceMs for every pid to exit, then SIGKILL the survivors. Polls
 * /proc: the pids need not be our children (a restarted kubelet's adopted containers).
 */
export async function terminate(pids: number[], graceMs: number, pollMs = 50): Promise<void> {
  const live = () => pids.filter(pidAlive);
  for (const pid of live()) signalPid(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, pollMs));
  for (const pid of live()) signalPid(pid, 'SIGKILL');
  const hardDeadline = Date.now() + 5000;
  while (live().length > 0 && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, pollMs));
}

/** Every process of the machine whose argv matches (reads /proc; for sweeping leftovers). */
export function findProcesses(match: (argv: string[]) => boolean): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = processArgv(pid);
    if (argv.length > 0 && match(argv)) out.push({ pid, argv });
  }
  return out;
}

/**
 * Whether pid is alive and runs argv — as started by spawnDetached. Until nsenter has
 * exec'd the program, /proc shows nsenter's own argv, ending with the program's.
 */
export function runsArgv(pid: number, argv: string[]): boolean {
  if (!pidAlive(pid)) return false;
  const actual = processArgv(pid);
  const tail = actual.slice(actual.length - argv.length);
  return tail.length === argv.length && tail.every((a, i) => a === argv[i]) &&
    (actual.length === argv.length || /(^|\/)nsenter$/.test(actual[0] ?? ''));
}

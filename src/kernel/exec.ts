// Running kernel tools (nft, ip, conntrack, sysctl …), optionally inside a named network
// namespace. The only place in hawser that spawns processes for kernel access.
import { spawn } from 'node:child_process';
import { resolveNetns } from './netns/paths.js';

export interface RunOptions {
  /**
   * Run inside this network namespace: a name under /run/netns, or an absolute path such as
   * /proc/123/ns/net. Unset = caller's namespace.
   */
  netns?: string;
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  /** Kill the child after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the exit status is not 0. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A kernel tool exited non-zero (or could not be started). `stderr` is the tool's own text. */
export class KernelCommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`);
    this.name = 'KernelCommandError';
  }
}

/**
 * Enter only the network namespace (nsenter --net), not `ip netns exec`: the latter also
 * makes a private mount namespace with a fresh /sys, which costs time and hides the host's
 * cgroup mounts from tools such as runc (REFERENCE.md).
 */
export function commandInNetns(netns: string | undefined, argv: string[]): string[] {
  return netns ? ['nsenter', `--net=${resolveNetns(netns)}`, '--', ...argv] : argv;
}

export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = commandInNetns(opts.netns, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      stderr += `\n[hawser] killed after ${opts.timeoutMs ?? 30_000} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new KernelCommandError(full, 127, '', String(err)));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !opts.allowFailure) {
        reject(new KernelCommandError(full, result.code, stdout, stderr));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => { /* child exited before reading stdin: reported via close */ });
    child.stdin.end(opts.input ?? '');
  });
}

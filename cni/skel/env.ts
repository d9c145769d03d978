// The CNI_* environment a runtime sets (SPEC.md "Parameters"), validated the way the Go
// skel (pkg/skel) does, so that runtimes see the same codes from us as from the reference
// plugins: a missing required variable is code 4, a missing container ID code 3.
import { CniCode, CniError } from './errors.js';
import type { CniCommand } from './version.js';

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  /** Path of the container's netns; may be empty for DEL (runtime already removed it). */
  netns: string;
  ifname: string;
  args: string;
  path: string[];
}

const COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

/** Which variables each command needs (pkg/skel getCmdArgsFromEnv, CNI 1.1). */
const REQUIRED: Record<string, readonly CniCommand[]> = {
  CNI_CONTAINERID: ['ADD', 'CHECK', 'DEL'],
  CNI_NETNS: ['ADD', 'CHECK'],
  CNI_IFNAME: ['ADD', 'CHECK', 'DEL'],
  CNI_PATH: ['ADD', 'CHECK', 'DEL', 'GC', 'STATUS'],
};

export function parseEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (command === '') throw new CniError(CniCode.InvalidEnv, 'required env variables [CNI_COMMAND] missing');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new CniError(CniCode.InvalidEnv, `unknown CNI_COMMAND: ${command}`);
  }
  const cmd = command as CniCommand;
  const missing = Object.entries(REQUIRED)
    .filter(([name, cmds]) => cmds.includes(cmd) && !env[name])
    .map(([name]) => name);
  // An empty container ID is "unknown container" in the Go skel, not a missing variable.
  if (missing.length === 1 && missing[0] === 'CNI_CONTAINERID') {
    throw new CniError(CniCode.UnknownContainer, 'missing containerID');
  }
  if (missing.length > 0) throw new CniError(CniCode.InvalidEnv, `required env variables [${missing.join(',')}] missing`);

  const out: CniEnv = {
    command: cmd,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    args: env.CNI_ARGS ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter((p) => p !== ''),
  };
  if (cmd === 'ADD' || cmd === 'CHECK' || cmd === 'DEL') {
    validateContainerId(out.containerId);
    validateIfname(out.ifname);
  }
  if (out.netns !== '' && !/^(\/[A-Za-z0-9_.:@-]+)+$/.test(out.netns)) {
    throw new CniError(CniCode.InvalidEnv, 'CNI_NETNS must be an absolute path', out.netns);
  }
  if (out.netns.split('/').includes('..')) throw new CniError(CniCode.InvalidEnv, 'CNI_NETNS must not contain ..', out.netns);
  return out;
}

/** pkg/utils ValidateContainerID. */
export function validateContainerId(id: string): void {
  if (id === '') throw new CniError(CniCode.UnknownContainer, 'missing containerID');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(id)) throw new CniError(CniCode.InvalidEnv, 'invalid characters in containerID', id);
}

/** pkg/utils ValidateInterfaceName: the kernel's IFNAMSIZ (16 with NUL) and dev_valid_name(). */
export function validateIfname(name: string): void {
  if (name === '') throw new CniError(CniCode.InvalidEnv, 'interface name is empty');
  if (Buffer.byteLength(name) > 15) throw new CniError(CniCode.InvalidEnv, 'interface name is too long', `interface name should be less than 16 characters`);
  if (name === '.' || name === '..') throw new CniError(CniCode.InvalidEnv, 'interface name is . or ..');
  if (/[/:\s]/.test(name)) throw new CniError(CniCode.InvalidEnv, 'interface name contains / or : or whitespace characters', name);
}

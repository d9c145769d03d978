// The skeleton every invocation goes through: env → stdin config → version negotiation →
// the plugin's handler → stdout + exit status. No I/O of its own (the entry point hands
// in env and stdin and writes the outcome), so every path is unit-tested.
import { parseCniArgs, type CniArgs } from './cni-args.js';
import { parseEnv, type CniEnv } from './env.js';
import { CniCode, CniError, errorJson } from './errors.js';
import { formatResult, type CniResult } from './result.js';
import {
  LATEST_VERSION, SUPPORTED_VERSIONS, assertCommandAllowed, isSupportedVersion, negotiateVersion, type CniVersion,
} from './version.js';

export interface PluginContext {
  env: CniEnv;
  args: CniArgs;
  version: CniVersion;
  /** The decoded network config (stdin), untyped: the plugin validates its own fields. */
  config: Record<string, unknown>;
}

export interface Plugin {
  add(ctx: PluginContext): Promise<CniResult>;
  del(ctx: PluginContext): Promise<void>;
  check(ctx: PluginContext): Promise<void>;
  status(ctx: PluginContext): Promise<void>;
  gc(ctx: PluginContext): Promise<void>;
}

export interface Outcome {
  stdout: string;
  exitCode: 0 | 1;
}

/** Decode stdin: code 6 when it is not a JSON object. */
export function decodeConfig(stdin: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CniCode.Decode, 'error unmarshalling network config', (e as Error).message);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CniError(CniCode.Decode, 'error unmarshalling network config', 'not a JSON object');
  }
  return v as Record<string, unknown>;
}

/** pkg/skel validateConfig + pkg/utils ValidateNetworkName: the network name is required. */
function validateName(config: Record<string, unknown>): void {
  const name = config.name;
  if (name === undefined || name === '') throw new CniError(CniCode.InvalidConfig, 'missing network name');
  if (typeof name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new CniError(CniCode.InvalidConfig, 'invalid characters found in network name', String(name));
  }
}

/** VERSION needs no valid config: it answers what we speak, echoing a version we know. */
function versionAnswer(stdin: string): string {
  let asked: unknown;
  try {
    asked = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
  } catch {
    asked = undefined;
  }
  return JSON.stringify({ cniVersion: isSupportedVersion(asked) ? asked : LATEST_VERSION, supportedVersions: SUPPORTED_VERSIONS });
}

export async function dispatch(rawEnv: Readonly<Record<string, string | undefined>>, stdin: string, plugin: Plugin): Promise<Outcome> {
  let errVersion: string = LATEST_VERSION;
  try {
    const env = parseEnv(rawEnv);
    if (env.command === 'VERSION') return { stdout: versionAnswer(stdin), exitCode: 0 };
    const config = decodeConfig(stdin);
    if (typeof config.cniVersion === 'string' && config.cniVersion !== '') errVersion = config.cniVersion;
    validateName(config);
    const version = negotiateVersion(config.cniVersion);
    assertCommandAllowed(env.command, version);
    const args = parseCniArgs(env.args);
    const ctx: PluginContext = { env, args, version, config };
    switch (env.command) {
      case 'ADD':
        return { stdout: JSON.stringify(formatResult(await plugin.add(ctx), version)), exitCode: 0 };
      case 'DEL':
        await plugin.del(ctx);
        break;
      case 'CHECK':
        await plugin.check(ctx);
        break;
      case 'STATUS':
        await plugin.status(ctx);
        break;
      case 'GC':
        await plugin.gc(ctx);
        break;
    }
    return { stdout: '', exitCode: 0 };
  } catch (err) {
    return { stdout: JSON.stringify(errorJson(err, errVersion)), exitCode: 1 };
  }
}

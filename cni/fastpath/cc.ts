// The command lines that compile hawser-cni.c, in both its forms: the thin client that
// `hawser cni install --thin` builds on the node (Node fallback, paths compiled in) and
// the single static file of `npm run build:cni-static` (no fallback, needs nothing on the
// host). Pure, except for locating the C source.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CniCode } from '../skel/errors.js';
import { LATEST_VERSION, SUPPORTED_VERSIONS } from '../skel/version.js';

export const DEFAULT_SOCKET = '/run/hawser/cni.sock';
/** The variable that overrides the socket at run time (then the config's `agentSocket`). */
export const SOCKET_ENV = 'HAWSER_CNI_SOCKET';
/** The top-level config key naming the agent's socket (the Node plugin ignores it). */
export const SOCKET_CONFIG_KEY = 'agentSocket';

/** The C source: beside this file when run from the sources, cni/fastpath/ from dist/. */
export function clientSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromDist = resolve(here, '../../../cni/fastpath/hawser-cni.c');
  return existsSync(fromDist) ? fromDist : resolve(here, 'hawser-cni.c');
}

/** Paths become C string literals: keep them to characters that need no escaping. */
export const isCPathSafe = (p: string) => /^\/[A-Za-z0-9_.\/@+-]*$/.test(p);

function checkPath(p: string): string {
  if (!isCPathSafe(p)) throw new Error(`path not usable in the thin client: ${p}`);
  return p;
}

/**
 * What the client answers without an agent, from the Node plugin's own constants: the
 * VERSION list and the error codes. One source of truth, compiled in as macros.
 */
export function skelDefines(): string[] {
  return [
    `-DHAWSER_VERSIONS=${SUPPORTED_VERSIONS.map((v) => `"${v}"`).join(',')}`,
    `-DHAWSER_LATEST="${LATEST_VERSION}"`,
    `-DHAWSER_CODE_TRY_AGAIN=${CniCode.TryAgainLater}`,
    `-DHAWSER_CODE_NOT_AVAILABLE=${CniCode.NotAvailable}`,
  ];
}

/** The single-file build: statically linked, small, stripped, no Node fallback. */
export function staticClientArgv(out: string, opts: { socketPath?: string; cc?: string } = {}): string[] {
  return [
    opts.cc ?? 'cc', '-static', '-Os', '-s', '-Wall', '-Wextra', '-o', out,
    `-DHAWSER_SOCKET="${checkPath(opts.socketPath ?? DEFAULT_SOCKET)}"`, ...skelDefines(), clientSource(),
  ];
}

/**
 * An ELF executable is static when it names no program interpreter (PT_INTERP) and has no
 * dynamic section (PT_DYNAMIC): nothing is loaded from the host at exec time. 64-bit
 * little-endian only (the machines we build on); anything else is "not static".
 */
export function isStaticElf(b: Buffer): boolean {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  if (phentsize < 4 || phoff + phentsize * phnum > b.length) return false;
  for (let i = 0; i < phnum; i++) {
    const type = b.readUInt32LE(phoff + i * phentsize);
    if (type === 2 /* PT_DYNAMIC */ || type === 3 /* PT_INTERP */) return false;
  }
  return true;
}

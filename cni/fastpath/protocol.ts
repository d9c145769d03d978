// The wire format between the thin plugin executable (hawser-cni.c) and the node agent's
// CNI server (server.ts), one request per unix-socket connection:
//   request:  "HWCNI1 <env bytes> <stdin bytes>\n" + env block + stdin
//             env block = "KEY=VALUE\0" for each CNI_* variable
//   response: "<exit status>\n" + what the plugin would print on stdout
// Lengths instead of delimiters: stdin is arbitrary JSON, and the C side stays a few
// lines of memcpy. Only CNI_* variables cross: the agent uses its own PATH and tools.
import type { Outcome } from '../skel/dispatch.js';

const MAGIC = 'HWCNI1';

export function encodeRequest(env: Readonly<Record<string, string | undefined>>, stdin: Buffer): Buffer {
  const block = Object.entries(env)
    .filter((e): e is [string, string] => e[0].startsWith('CNI_') && e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}\0`)
    .join('');
  const envBuf = Buffer.from(block, 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC} ${envBuf.length} ${stdin.length}\n`), envBuf, stdin]);
}

export function decodeRequest(buf: Buffer): { env: Record<string, string>; stdin: string } | undefined {
  const nl = buf.indexOf(0x0a);
  if (nl < 0 || nl > 64) return undefined;
  const m = /^HWCNI1 (\d+) (\d+)$/.exec(buf.subarray(0, nl).toString('latin1'));
  if (!m) return undefined;
  const envLen = Number(m[1]);
  const inLen = Number(m[2]);
  if (buf.length !== nl + 1 + envLen + inLen) return undefined;
  const env: Record<string, string> = {};
  for (const kv of buf.subarray(nl + 1, nl + 1 + envLen).toString('utf8').split('\0')) {
    if (kv === '') continue;
    const eq = kv.indexOf('=');
    if (eq <= 0 || !kv.startsWith('CNI_')) return undefined;
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { env, stdin: buf.subarray(nl + 1 + envLen).toString('utf8') };
}

export function encodeResponse(out: Outcome): Buffer {
  return Buffer.from(`${out.exitCode}\n${out.stdout ? `${out.stdout}\n` : ''}`, 'utf8');
}

export function decodeResponse(buf: Buffer): { exitCode: number; stdout: string } | undefined {
  const nl = buf.indexOf(0x0a);
  if (nl < 1 || !/^\d+$/.test(buf.subarray(0, nl).toString('latin1'))) return undefined;
  return { exitCode: Number(buf.subarray(0, nl).toString('latin1')), stdout: buf.subarray(nl + 1).toString('utf8') };
}

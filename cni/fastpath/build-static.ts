// `npm run build:cni-static [-- --out PATH] [--socket PATH]` (after `npm run build`): the
// CNI plugin as one static executable, dist/cni/hawser-static by default — for hosts
// without Node.js. It talks only to the node agent's socket (no Node fallback), so copy it
// into the CNI bin dir under the config's type name, `hawser`. CC picks the compiler.
import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/kernel/exec.js';
import { DEFAULT_SOCKET, isStaticElf, staticClientArgv } from './cc.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

export async function buildStatic(out: string, socketPath = DEFAULT_SOCKET, cc = process.env.CC || 'cc'): Promise<{ out: string; socket: string; bytes: number }> {
  await mkdir(dirname(out), { recursive: true });
  // Built beside its place and renamed: a test or an installer copying the file never
  // sees half of it, and two builds at once do not mix.
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    const r = await run(staticClientArgv(tmp, { socketPath, cc }), { allowFailure: true, timeoutMs: 120_000 });
    if (r.code !== 0) {
      throw new Error(`${cc} -static failed (exit ${r.code}); Debian needs gcc and libc6-dev (libc.a):\n${r.stderr.trim()}`);
    }
    if (!isStaticElf(await readFile(tmp))) throw new Error(`${cc} -static produced a dynamically linked file`);
    await chmod(tmp, 0o755);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return { out, socket: socketPath, bytes: (await stat(out)).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(flag('--out') ?? resolve(dirname(fileURLToPath(import.meta.url)), '../hawser-static'));
  try {
    process.stdout.write(`${JSON.stringify(await buildStatic(out, flag('--socket')))}\n`);
  } catch (e) {
    process.stderr.write(`build:cni-static: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

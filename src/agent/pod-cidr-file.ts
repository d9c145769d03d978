// The node's pod CIDR handed to the CNI plugin through a file (the plugin runs without
// API access): written atomically (temp + rename) so the plugin never reads half a line.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writePodCIDRFile(path: string, cidrs: string[]): Promise<boolean> {
  const content = cidrs.join('\n') + '\n';
  const old = await readFile(path, 'utf8').catch(() => undefined);
  if (old === content) return false;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, path);
  return true;
}

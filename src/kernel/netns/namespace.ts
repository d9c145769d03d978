// Named network namespaces: create, delete, list. (Links, addresses and routes inside
// them live in src/kernel/link/.)
import { readdir } from 'node:fs/promises';
import { run } from '../exec.js';
import { NETNS_DIR, netnsPath } from './paths.js';

/** Create a named namespace with its loopback up. */
export async function createNetns(name: string): Promise<void> {
  netnsPath(name); // validates the name
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', 'link', 'set', 'lo', 'up'], { netns: name });
}

/** Delete a named namespace; succeeds when it is already gone. */
export async function deleteNetns(name: string): Promise<void> {
  netnsPath(name);
  const r = await run(['ip', 'netns', 'delete', name], { allowFailure: true });
  if (r.code !== 0 && !/No such file|not found/i.test(r.stderr)) {
    throw new Error(`deleting netns ${name}: ${r.stderr.trim()}`);
  }
}

export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

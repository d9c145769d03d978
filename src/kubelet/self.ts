// How to start another `hawser` subcommand as a separate process: the same node binary
// and the same bin/hawser.js this process runs from (dist/src/kubelet → ../../../bin).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HAWSER_JS = fileURLToPath(new URL('../../../bin/hawser.js', import.meta.url));

export function hawserArgv(...args: string[]): string[] {
  return [process.execPath, HAWSER_JS, ...args];
}

/** Whether the compiled CLI has a subcommand (others build theirs in parallel). */
export function hasCommand(name: string): boolean {
  return existsSync(fileURLToPath(new URL(`../cli/commands/${name}.js`, import.meta.url)));
}

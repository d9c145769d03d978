// The `hawser` command. Each subcommand lives in its own file in ./commands/ and exports
// `register(program)`; they are discovered here so that adding one touches no shared file.
import { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const program = new Command();
program
  .name('hawser')
  .description('Kubernetes networking dataplane: CNI plugin, nftables service proxy, NetworkPolicy, apiserver, netns lab, packet tracer')
  .version('0.1.0');

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
const files = existsSync(commandsDir) ? readdirSync(commandsDir) : [];
for (const file of files.filter((f) => f.endsWith('.js')).sort()) {
  const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as {
    register?: (p: Command) => void;
  };
  mod.register?.(program);
}

await program.parseAsync(process.argv);

import { Command } from 'commander';

const program = new Command();
program
  .name('hawser')
  .description('Kubernetes networking dataplane: CNI plugin, nftables service proxy, NetworkPolicy, apiserver, netns lab, packet tracer')
  .version('0.1.0');

await program.parseAsync(process.argv);

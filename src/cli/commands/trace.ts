// `hawser trace`: the path of one packet through the live cluster, hop by hop (src/trace).
import type { Command } from 'commander';

interface TraceOpts {
  from: string; to: string; proto?: string; output: string; lab?: string | boolean;
  kubeconfig?: string; agentSocket: string[]; externalIp: string; live?: boolean; why?: boolean;
}

export function register(program: Command): void {
  program
    .command('trace')
    .description('explain the path of a packet: every hop, nftables rule, load-balancing branch, NetworkPolicy verdict and route, read from the live cluster')
    .requiredOption('--from <source>', '"pod NS/NAME" | "node NAME" | external | an IP')
    .requiredOption('--to <target>', '"svc NS/NAME[:PORT]" | "pod NS/NAME[:PORT]" | IP:PORT')
    .option('--proto <proto>', 'tcp | udp | sctp (default: the Service port\'s protocol, else tcp)')
    .option('--output <fmt>', 'text | json | html | mermaid', 'text')
    .option('--lab [name]', 'trace in a lab made by `hawser lab up` (its kubeconfig and every node\'s agent socket)')
    .option('--kubeconfig <path>', 'outside a lab: the cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--agent-socket <node=path>', 'outside a lab: a node\'s agent trace socket (repeatable; default: this node\'s /run/hawser/agent.sock)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--external-ip <ip>', 'the address "external" means', '192.168.56.2')
    .option('--why', 'only say why the connection fails (or that it does not): the drop/reject rule and the NetworkPolicy responsible')
    .option('--live', 'also send a real probe with nftrace on for that flow, collect the kernel\'s trace events and conntrack from every node, and say whether they agree with the static path (lab only)')
    .action(async (o: TraceOpts) => {
      const { runTrace } = await import('../../trace/command.js');
      try {
        process.exitCode = await runTrace(o);
      } catch (err) {
        console.error(`hawser trace: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
}

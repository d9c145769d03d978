// `hawser echo-server`: the process behind the built-in image hawser/echo.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('echo-server')
    .description('echo servers answering with pod name, pod IP and the client\'s source address (image hawser/echo)')
    .option('--ports <list>', 'PORT[/TCP|UDP],… (TCP ports speak HTTP and raw TCP)', '8080/TCP')
    .option('--name <pod>', 'name to answer with (default $POD_NAME or the hostname)')
    .option('--pod-ip <ip>', 'pod IP to answer with (default $POD_IP)')
    .option('--node <name>', 'node to answer with (default $NODE_NAME)')
    .action(async (o: { ports: string; name?: string; podIp?: string; node?: string }) => {
      const { hostname } = await import('node:os');
      const { parsePorts, startEcho } = await import('../../kubelet/echo/server.js');
      const id = {
        name: o.name || process.env.POD_NAME || hostname(),
        podIP: o.podIp ?? process.env.POD_IP ?? '',
        node: o.node ?? process.env.NODE_NAME ?? '',
      };
      const ports = parsePorts(o.ports);
      const echo = await startEcho(id, ports);
      console.log(JSON.stringify({ msg: 'echo server listening', ...id, ports }));
      const stop = () => void echo.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}

// `hawser lab …`: a multi-node cluster in network namespaces on this machine.
import type { Command } from 'commander';

const say = (msg: string) => console.log(`[lab] ${msg}`);

export function register(program: Command): void {
  const lab = program.command('lab').description('a multi-node cluster in network namespaces on this machine');

  lab.command('up')
    .description('build the lab: underlay, client, control plane, nodes with agent and kubelet')
    .option('--name <name>', 'lab name (namespaces are hl-<name>-*)', 'lab')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--storage <kind>', 'sqlite | etcd', 'sqlite')
    .option('--routing <mode>', 'host-gw | vxlan', 'host-gw')
    .option('--cni <plugin>', 'auto | hawser | reference (Debian containernetworking-plugins bridge + host-local)', 'auto')
    .action(async (o: { name: string; nodes: string; storage: string; routing: string; cni: string }) => {
      const { labUp } = await import('../../lab/up.js');
      const { usage } = await import('../../lab/usage.js');
      if (o.storage !== 'sqlite' && o.storage !== 'etcd') throw new Error('--storage must be sqlite or etcd');
      if (o.routing !== 'host-gw' && o.routing !== 'vxlan') throw new Error('--routing must be host-gw or vxlan');
      if (!['auto', 'hawser', 'reference'].includes(o.cni)) throw new Error('--cni must be auto, hawser or reference');
      const started = Date.now();
      // Ctrl-C half-way: remove what was built rather than leave a half lab behind.
      const interrupt = new AbortController();
      process.once('SIGINT', () => {
        interrupt.abort();
        say('interrupted: tearing down');
        void import('../../lab/down.js').then(({ labDown }) => labDown({ name: o.name, progress: say })).finally(() => process.exit(130));
      });
      const { plan } = await labUp({
        name: o.name, nodes: Number(o.nodes), storage: o.storage, routing: o.routing,
        cni: o.cni as 'auto' | 'hawser' | 'reference', progress: say, signal: interrupt.signal,
      }).catch((err: unknown) => {
        // The interrupt handler owns the exit; its teardown is still running.
        if (interrupt.signal.aborted) return new Promise<never>(() => {});
        throw err;
      });
      say(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(usage(plan));
    });

  lab.command('down')
    .description('remove the lab: processes, namespaces, state (idempotent; also after a crash)')
    .option('--name <name>', 'lab name', 'lab')
    .action(async (o: { name: string }) => {
      const { labDown } = await import('../../lab/down.js');
      const r = await labDown({ name: o.name, progress: say });
      if (r.namespaces.length === 0 && !r.stateDir && r.processes === 0) say(`no lab ${o.name}: nothing to do`);
      else say(`lab ${o.name} is down`);
    });

  lab.command('status')
    .description('processes, nodes, pods and services of the lab')
    .option('--name <name>', 'lab name', 'lab')
    .action(async (o: { name: string }) => {
      const { labStatus } = await import('../../lab/ops.js');
      console.log(await labStatus(o.name));
    });

  lab.command('kubeconfig')
    .description('print the path of the kubeconfig that reaches the lab apiserver from this machine')
    .option('--name <name>', 'lab name', 'lab')
    .action(async (o: { name: string }) => {
      const { openLab } = await import('../../lab/ops.js');
      const { labPaths } = await import('../../lab/components.js');
      console.log(labPaths(openLab(o.name).plan).hostKubeconfig);
    });

  lab.command('exec')
    .description('run a command in a pod, a node (node1|n1|1), the control plane (cp) or the external client')
    .argument('<target>', 'pod name, node, cp or client')
    .argument('[cmd...]', 'command (default /bin/sh)')
    .option('--name <name>', 'lab name', 'lab')
    .option('-n, --namespace <ns>', 'pod namespace', 'default')
    .action(async (target: string, cmd: string[], o: { name: string; namespace: string }) => {
      const { labExec } = await import('../../lab/ops.js');
      process.exitCode = await labExec(o.name, target, o.namespace, cmd);
    });

  lab.command('logs')
    .description('log of a component (apiserver, etcd, kubelet, agent, forward-cp, forward-host) or of a pod (pod/NAME)')
    .argument('<component>')
    .option('--name <name>', 'lab name', 'lab')
    .option('--node <node>', 'only this node (kubelet, agent)')
    .option('-n, --namespace <ns>', 'pod namespace', 'default')
    .option('-c, --container <name>', 'one container of the pod')
    .action(async (component: string, o: { name: string; node?: string; namespace: string; container?: string }) => {
      const { labLogFiles, podLogFiles, readLogs } = await import('../../lab/ops.js');
      const files = component.startsWith('pod/')
        ? await podLogFiles(o.name, component.slice(4), o.namespace, o.container)
        : labLogFiles(o.name, component, o.node);
      process.stdout.write(readLogs(files));
    });

  lab.command('restart')
    .description('kill -9 a lab process and start it again with the same arguments (kubelet and agent adopt their state)')
    .argument('<component>')
    .option('--name <name>', 'lab name', 'lab')
    .option('--node <node>', 'only this node (kubelet, agent)')
    .action(async (component: string, o: { name: string; node?: string }) => {
      const { labRestart } = await import('../../lab/ops.js');
      for (const p of await labRestart(o.name, component, o.node)) say(`restarted ${p.component}${p.node ? ` on ${p.node}` : ''} (pid ${p.pid})`);
    });

  lab.command('demo')
    .description('a guided tour on a running lab: echo pods across nodes, a Service reached from everywhere, a NetworkPolicy')
    .option('--name <name>', 'lab name', 'lab')
    .option('--keep', 'leave the demo objects in place')
    .action(async (o: { name: string; keep?: boolean }) => {
      const { runDemo } = await import('../../lab/demo.js');
      process.exitCode = await runDemo({ name: o.name, keep: o.keep === true, print: (s) => console.log(s) });
    });

  lab.command('forward', { hidden: true })
    .description('internal: byte forwarder between TCP and a unix socket (the lab kubeconfig path)')
    .requiredOption('--lab <name>', 'lab this forwarder belongs to (how lab down finds it)')
    .requiredOption('--listen <endpoint>', 'tcp:HOST:PORT | unix:/PATH')
    .requiredOption('--to <endpoint>', 'tcp:HOST:PORT | unix:/PATH')
    .option('--port-file <path>', 'write the bound TCP port here')
    .action(async (o: { listen: string; to: string; portFile?: string }) => {
      const { parseEndpoint, startForwarder } = await import('../../lab/forward.js');
      const f = await startForwarder(parseEndpoint(o.listen), parseEndpoint(o.to), o.portFile);
      console.log(JSON.stringify({ msg: 'forwarding', listen: o.listen, port: f.port, to: o.to }));
      // Exit at once: close() would wait for long-lived connections (kubectl watches).
      const stop = () => process.exit(0);
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}

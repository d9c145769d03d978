// The rolling-update workload's server: the hawser/echo replies (src/kubelet/echo), but on
// SIGTERM it keeps serving for `delayMs` before closing — what an application does with a
// `preStop: sleep` or a graceful-shutdown delay, so that its terminating endpoint has left
// every node's rules before the listener goes. Needed because the lab kubelet has no
// lifecycle.preStop and SIGTERMs every process in the pod's namespace at once, and the
// built-in echo server closes its listener at SIGTERM.
import { startEcho } from '../../src/kubelet/echo/server.js';

async function main(): Promise<void> {
  const { port, delayMs } = JSON.parse(process.argv[2]!) as { port: number; delayMs: number };
  const echo = await startEcho({ name: process.env.POD_NAME ?? '', podIP: process.env.POD_IP ?? '', node: process.env.NODE_NAME ?? '' }, [{ port, protocol: 'TCP' }]);
  console.log(JSON.stringify({ msg: 'graceful echo listening', port, delayMs }));
  // `on`, not `once`: the kubelet signals the process group and then each pid, and a
  // second SIGTERM without a handler would kill the server at once.
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => void echo.close().then(() => process.exit(0)), delayMs);
  });
}

if (process.argv[1]?.endsWith('lab-graceful-echo.js')) await main();

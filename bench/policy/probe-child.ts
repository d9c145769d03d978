// The prober of figure 3, run inside the client pod's namespace (started by prober.ts through
// World.spawn): every `interval` ms it starts a NEW connection to the target — whether or not
// the previous ones have finished — and prints one line per attempt when it is decided:
//   <wall-clock start in ms, µs precision> <1 allowed | 0 denied | 2 error>
// Allowed = the server's 1-byte greeting arrived; denied = nothing within `timeout` ms (the
// policy's verdict is drop: the SYN vanishes); error = refused/reset (never expected here). The timeout stays below the first SYN
// retransmission (1 s), so a denied attempt can never turn into a late success; each
// attempt is a new source port, hence a new conntrack entry judged by the current table.
//   node probe-child.js <ip> <port> <intervalMs> <timeoutMs>
import { connect } from 'node:net';

const [host = '', portArg = '', intervalArg = '5', timeoutArg = '200'] = process.argv.slice(2);
const port = Number(portArg);
const interval = Number(intervalArg);
const timeout = Number(timeoutArg);
/** Wall clock with sub-ms precision: the parent compares it with its own clock (same host). */
const now = (): number => performance.timeOrigin + performance.now();

function attempt(): void {
  const t0 = now();
  let done = false;
  const s = connect({ host, port });
  const finish = (status: 0 | 1 | 2) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    // Connected: RST instead of FIN, no TIME_WAIT left behind at 200 attempts/s (as connload
    // does). Still connecting: closing the socket aborts the connect, so the kernel sends no
    // SYN retransmission that a later allow could turn into a connection.
    if (status === 1) s.resetAndDestroy();
    else s.destroy();
    process.stdout.write(`${t0.toFixed(3)} ${status}\n`);
  };
  const timer = setTimeout(() => finish(0), timeout);
  s.once('data', () => finish(1));
  s.once('error', () => finish(2));
  s.once('close', () => finish(2));
}

setInterval(attempt, interval);
process.stdout.write('ready\n');

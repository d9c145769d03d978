// A load generator run inside one namespace (see LabTraffic.load): HTTP GETs at a fixed
// rate, each on a new connection (so every request is a new conntrack flow that the
// proxy's rules must DNAT), until stdin closes; then it waits for every request still
// in flight and prints one JSON line with exact counts. A request fails on any socket
// error, a non-200 status or a body that is not an echo reply; its deadline (5 s) is far
// above a SYN retransmit (1 s), so only a connection the dataplane lost counts.
import http from 'node:http';

export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  /** Requests answered per pod (the echo reply's `pod`). */
  byPod: Record<string, number>;
  /** The first failures, with the time since start. */
  failures: { atMs: number; error: string }[];
}

const DEADLINE_MS = 5000;

function main(): void {
  const { url, rate } = JSON.parse(process.argv[2]!) as { url: string; rate: number };
  const s: LoadSummary = { sent: 0, ok: 0, failed: 0, byPod: {}, failures: [] };
  const start = Date.now();
  let inFlight = 0;
  let stopping = false;
  const fail = (error: string) => {
    s.failed++;
    if (s.failures.length < 20) s.failures.push({ atMs: Date.now() - start, error });
  };
  const finish = () => { if (stopping && inFlight === 0) { process.stdout.write(JSON.stringify(s) + '\n'); process.exit(0); } };
  const one = () => {
    s.sent++;
    inFlight++;
    let settled = false;
    const end = (error?: string) => {
      if (settled) return;
      settled = true;
      inFlight--;
      if (error) fail(error);
      finish();
    };
    const req = http.get(url, { agent: false, timeout: DEADLINE_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.on('error', (err) => end(err.message));
      res.on('end', () => {
        let pod: string | undefined;
        try { pod = (JSON.parse(body) as { pod?: string }).pod; } catch { pod = undefined; }
        if (res.statusCode !== 200 || !pod) { end(`status ${res.statusCode} body ${body.slice(0, 80)}`); return; }
        s.ok++;
        s.byPod[pod] = (s.byPod[pod] ?? 0) + 1;
        end();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${DEADLINE_MS} ms`)));
    req.on('error', (err) => end(err.message));
  };
  // Catch up from the elapsed time rather than trusting timer precision: the rate holds
  // even when the event loop is late.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - start) * rate) / 1000);
    while (s.sent < due) one();
  }, 5);
  process.stdin.resume();
  process.stdin.on('end', () => { clearInterval(timer); stopping = true; finish(); });
  process.stdout.write('started\n');
}

if (process.argv[1]?.endsWith('lab-load.js')) main();

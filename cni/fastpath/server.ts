// The CNI fast path, agent side: the long-running node agent serves plugin calls on a
// unix socket so that an ADD costs no Node start-up (76–109 ms here, more than the
// reference plugin's whole ADD). The same skel and handlers run as in the standalone
// plugin process — only the transport differs — in the agent's network namespace, which
// is the node's, exactly where the standalone plugin would run.
import { createServer, type Server } from 'node:net';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { dispatch, type Plugin } from '../skel/dispatch.js';
import { CniCode } from '../skel/errors.js';
import { DEFAULT_SOCKET } from './cc.js';
import { decodeRequest, encodeResponse } from './protocol.js';

export { DEFAULT_SOCKET };
const MAX_REQUEST = 4 << 20;

export interface CniServer {
  socketPath: string;
  close(): Promise<void>;
}

export async function startCniServer(opts: { socketPath?: string; plugin?: Plugin } = {}): Promise<CniServer> {
  const socketPath = opts.socketPath ?? DEFAULT_SOCKET;
  const plugin = opts.plugin ?? (await import('../plugin.js')).hawserPlugin;
  // 0700 directory, 0600 socket: whoever can talk to it can wire any namespace.
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  await unlink(socketPath).catch(() => undefined);
  // allowHalfOpen: the client half-closes to mark the end of its request; by default Node
  // would then end our side too, before the answer is written.
  const server: Server = createServer({ allowHalfOpen: true }, (conn) => {
    const chunks: Buffer[] = [];
    let size = 0;
    conn.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_REQUEST) conn.destroy();
      else chunks.push(d);
    });
    conn.on('error', () => undefined);
    conn.on('end', () => {
      const req = decodeRequest(Buffer.concat(chunks));
      const answer = req
        ? dispatch(req.env, req.stdin, plugin)
        : Promise.resolve({ exitCode: 1 as const, stdout: JSON.stringify({ cniVersion: '1.0.0', code: CniCode.Decode, msg: 'malformed fast-path request' }) });
      void answer.then((out) => conn.end(encodeResponse(out)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

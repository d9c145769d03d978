// What echo servers answer, shared by the server script and the clients.
export interface Listen {
  proto: 'tcp' | 'udp' | 'http';
  port: number;
  /** Bind address; unset = every address, both families. */
  host?: string;
}

export interface ServerSpec {
  /** Identifies the server in every answer (e.g. the pod name). */
  name: string;
  listen: Listen[];
}

export interface EchoReply {
  name: string;
  proto: string;
  /** The port the server listens on. */
  port: number;
  /** Address:port the connection/datagram arrived at (after DNAT). */
  local: string;
  /** The client's source address:port as the server saw it (after any SNAT). */
  peer: string;
  /** HTTP only: the request path. */
  path?: string;
}

/** Parse the first line of an answer; undefined when it is not an echo reply. */
export function parseEcho(text: string): EchoReply | undefined {
  try {
    const j = JSON.parse(text.trim().split('\n')[0] ?? '') as Partial<EchoReply>;
    if (typeof j.name === 'string' && typeof j.peer === 'string') return j as EchoReply;
  } catch { /* not JSON */ }
  return undefined;
}

/** '10.0.0.1:4000' → { ip, port }; '[fd00::1]:80' too. */
export function splitHostPort(hp: string): { ip: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hp);
  if (!m) throw new Error(`not host:port: ${hp}`);
  return { ip: m[1]!, port: Number(m[2]) };
}

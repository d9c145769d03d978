// Requests and answers between the test process and a probe agent (probe-agent.ts).
export type ProbeErrorKind = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'unsupported' | 'error';

export interface ProbeRequest {
  id: number;
  op: 'tcp' | 'udp' | 'http';
  host: string;
  port: number;
  timeoutMs: number;
  /** Source address/port to bind (e.g. to test source-port preservation). */
  bindAddress?: string;
  bindPort?: number;
  /** Bytes to send (TCP: then half-close; UDP: the datagram, default "probe\n"). */
  send?: string;
  /** HTTP path (default /). */
  path?: string;
}

export interface ProbeAnswer {
  id: number;
  ok: boolean;
  reply?: string;
  /** HTTP status. */
  status?: number;
  kind?: ProbeErrorKind;
  error?: string;
}

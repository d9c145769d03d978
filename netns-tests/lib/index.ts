// The netns test harness: worlds of namespaces that clean up after themselves, and
// traffic helpers that report what the far end saw.
export { World, type WorldOptions, type PlugOptions } from './world.js';
export { sweepLeftovers, type SweepReport } from './sweep.js';
export { MARKER, STATE_DIR, parseNetnsName } from './naming.js';
export { netnsExists, processRunning, pidsInNetnsSync } from './teardown.js';
export {
  startEchoServer, startSctpServer, tcpProbe, udpProbe, httpProbe, sctpProbe, sctpSupported, sctpMode, ping,
  type EchoServer, type ProbeResult, type ProbeOptions, type PingResult,
} from './traffic.js';
export { parseEcho, splitHostPort, type EchoReply, type ServerSpec, type Listen } from './echo-protocol.js';

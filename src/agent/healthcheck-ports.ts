// One HTTP server per healthCheckNodePort (Services of type LoadBalancer with
// externalTrafficPolicy Local), answering as kube-proxy does so cloud load balancers send
// traffic only to nodes with ready local endpoints. The set of ports follows each sync:
// servers are opened for new ports and closed for ports no Service uses any more.
import { createServer, type Server } from 'node:http';
import type { HealthCheckAnswer, HealthCheckService } from '../../proxy/index.js';
import type { Logger } from '../log.js';

export class HealthCheckPorts {
  private readonly servers = new Map<number, Server>();
  private services = new Map<number, HealthCheckService>();

  constructor(
    private readonly host: string,
    private readonly answer: (s: HealthCheckService) => HealthCheckAnswer,
    private readonly log: Logger,
  ) {}

  /** The Services with a healthCheckNodePort as last applied. */
  async set(list: HealthCheckService[]): Promise<void> {
    this.services = new Map(list.map((s) => [s.port, s]));
    for (const [port, server] of this.servers) {
      if (this.services.has(port)) continue;
      this.servers.delete(port);
      await new Promise((r) => server.close(r));
    }
    for (const port of this.services.keys()) {
      if (!this.servers.has(port)) await this.open(port);
    }
  }

  private open(port: number): Promise<void> {
    const server = createServer((_req, res) => {
      const s = this.services.get(port);
      if (!s) {
        res.writeHead(503).end();
        return;
      }
      const a = this.answer(s);
      res.writeHead(a.status, a.headers).end(a.body);
    });
    this.servers.set(port, server);
    return new Promise((resolve) => {
      // A port already taken on the node is logged, not fatal: the rules still work,
      // only the external load balancer's probe of this node fails (as with kube-proxy).
      server.once('error', (err) => {
        this.servers.delete(port);
        this.log.warn({ port, err: String(err) }, 'cannot open healthCheckNodePort');
        resolve();
      });
      server.listen(port, this.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => new Promise((r) => s.close(r))));
    this.servers.clear();
  }
}

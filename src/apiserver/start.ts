// Starting a complete apiserver: storage, PKI, tokens, TLS listener, admin kubeconfig.
// Used by `hawser apiserver`, by the lab and by tests that need a real server.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApiServer, type ApiServerApp, type ApiServerOptions } from './app.js';
import { openStorage, type Backend } from './storage/index.js';
import { TokenAuthenticator, parseTokenFile } from './auth/tokens.js';
import { ADMIN_USER, ensureAdminToken, ensurePki } from './pki.js';
import { renderKubeconfig } from './kubeconfig.js';
import { installAllocators, startControllers, type RunningControllers } from '../controllers/index.js';

export interface StartOptions {
  dataDir: string;
  storage?: Backend;
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  /** host:port; port 0 = ephemeral (tests). Default 127.0.0.1:6443. */
  listen?: string;
  advertiseAddress?: string;
  extraSans?: string[];
  /** Plain HTTP instead of TLS (only for debugging; the kubeconfig then skips verification). */
  insecure?: boolean;
  /** Extra identities, in the static token file format. */
  tokenFile?: string;
  /** ClusterIP range of the Service allocator (always installed: allocation is apiserver semantics). */
  serviceCidr?: string;
  /** NodePort range, "first-last" (default 30000-32767). */
  nodePortRange?: string;
  /** Pod network the node-ipam controller splits into per-node CIDRs. */
  clusterCidr?: string;
  /** LoadBalancer address pool. */
  lbPool?: string;
  /**
   * Run the controllers (EndpointSlices, LoadBalancer IPs, node IPAM, scheduler, workloads,
   * GC, node lifecycle) in this process. Default true; tests of pure API semantics turn
   * them off.
   */
  controllers?: boolean;
  logger?: ApiServerOptions['logger'];
  /** Admission plugins (e.g. the allocators of issue 4) to run inside every write. */
  admission?: ApiServerOptions['admission'];
  watchCache?: ApiServerOptions['watchCache'];
  bookmarkIntervalMs?: number;
}

export interface RunningApiServer {
  url: string;
  kubeconfigPath: string;
  adminToken: string;
  caCert?: string;
  app: ApiServerApp;
  config: Required<Pick<StartOptions, 'serviceCidr' | 'clusterCidr' | 'lbPool'>>;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export async function startApiServer(o: StartOptions): Promise<RunningApiServer> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const { host, port } = parseListen(o.listen ?? '127.0.0.1:6443');
  const storage = await openStorage({ backend: o.storage ?? 'sqlite', dataDir: o.dataDir, etcdEndpoints: o.etcdEndpoints, etcdPrefix: o.etcdPrefix });
  try {
    const { token } = ensureAdminToken(o.dataDir);
    const tokens = parseTokenFile(readFileSync(join(o.dataDir, 'tokens.csv'), 'utf8'));
    if (o.tokenFile) for (const [t, u] of parseTokenFile(readFileSync(o.tokenFile, 'utf8'))) tokens.set(t, u);
    const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const sans = ['127.0.0.1', 'localhost', clientHost, ...(o.advertiseAddress ? [o.advertiseAddress] : []), ...(o.extraSans ?? []),
      'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
    const pki = o.insecure ? undefined : await ensurePki(o.dataDir, sans);
    const app = await createApiServer({
      storage,
      authenticator: new TokenAuthenticator(tokens),
      https: pki ? { key: pki.key, cert: pki.cert } : undefined,
      logger: o.logger,
      admission: o.admission,
      watchCache: o.watchCache,
      bookmarkIntervalMs: o.bookmarkIntervalMs,
      serverAddress: `${o.advertiseAddress ?? clientHost}:${port}`,
    });
    const log = app.log;
    const allocators = await installAllocators(app.hawser, { serviceCidr: o.serviceCidr, nodePortRange: o.nodePortRange, log });
    let controllers: RunningControllers | undefined;
    const stopControl = async () => {
      await controllers?.stop();
      allocators.stop();
    };
    try {
      await app.listen({ host, port });
    } catch (e) {
      await stopControl();
      await app.close();
      throw e;
    }
    const actual = (app.server.address() as AddressInfo).port;
    // The `kubernetes` Service in default points pods at this apiserver.
    await allocators.ensureKubernetesService({ address: o.advertiseAddress ?? clientHost, port: actual });
    if (o.controllers !== false) controllers = await startControllers(app.hawser, { clusterCidr: o.clusterCidr, lbPool: o.lbPool, log });
    const hostForUrl = clientHost.includes(':') ? `[${clientHost}]` : clientHost;
    const url = `${pki ? 'https' : 'http'}://${hostForUrl}:${actual}`;
    const kubeconfigPath = join(o.dataDir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, renderKubeconfig({ server: url, caCert: pki?.caCert, token, user: ADMIN_USER.name }), { mode: 0o600 });
    return {
      url,
      kubeconfigPath,
      adminToken: token,
      caCert: pki?.caCert,
      app,
      config: { serviceCidr: o.serviceCidr ?? '10.96.0.0/16', clusterCidr: o.clusterCidr ?? '10.244.0.0/16', lbPool: o.lbPool ?? '192.168.56.200-192.168.56.250' },
      async close() {
        await stopControl();
        await app.close();
        await storage.close();
      },
    };
  } catch (e) {
    await storage.close();
    throw e;
  }
}

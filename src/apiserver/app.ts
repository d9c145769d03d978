// The apiserver as a Fastify app: `createApiServer({ storage })` gives an app that tests
// drive with `app.inject()` and `startApiServer` (start.ts) puts behind TLS. All request
// bodies arrive as raw buffers and are decoded by Content-Type here, so every malformed
// body becomes a Kubernetes Status (400/415), never a framework error page.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Storage } from './storage/types.js';
import { builtinRegistry } from './resources.js';
import type { Registry } from './registry.js';
import { AdmissionChain } from './admission.js';
import { Rest } from './rest.js';
import { WatchCache, type WatchCacheOptions } from './watch/cache.js';
import { ApiError, internal, pathNotFound, tooLarge, unauthorized, unsupportedMediaType, badRequest, forbidden } from './errors.js';
import { parseApiPath } from './http/paths.js';
import { handleResource } from './http/handlers.js';
import { aggregatedDiscovery, AGGREGATED_V2, AGGREGATED_V2BETA1, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.js';
import { openApiV3Index, openApiV3GroupVersion } from './openapi.js';
import { allowAll, withMasters, type Authorizer } from './auth/authorizer.js';
import type { TokenAuthenticator, UserInfo } from './auth/tokens.js';
import { RbacAuthorizer } from './auth/rbac.js';
import { nodeRestriction } from './auth/node-restriction.js';
import { bootstrap } from './bootstrap.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-hawser',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface ApiServerOptions {
  storage: Storage;
  registry?: Registry;
  admission?: AdmissionChain;
  /** Bearer-token authentication. Absent = every request is an unnamed admin (unit tests). */
  authenticator?: TokenAuthenticator;
  /** Applied to authenticated users outside system:masters (default: RBAC over stored roles when an authenticator is given). */
  authorizer?: Authorizer;
  watchCache?: WatchCacheOptions;
  bookmarkIntervalMs?: number;
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
  https?: { key: string | Buffer; cert: string | Buffer };
  /** Shown in /api serverAddressByClientCIDRs. */
  serverAddress?: string;
  /** Create default namespaces and RBAC roles on start (default true). */
  bootstrap?: boolean;
  now?: () => number;
}

export interface ApiServerParts {
  rest: Rest;
  cache: WatchCache;
  registry: Registry;
  admission: AdmissionChain;
  storage: Storage;
  /** Ends every open watch stream (clients re-watch, as after an apiserver timeout). */
  endWatches(): void;
}

export type ApiServerApp = FastifyInstance & { hawser: ApiServerParts };

const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserInfo;
  }
}

export async function createApiServer(opts: ApiServerOptions): Promise<ApiServerApp> {
  const registry = opts.registry ?? builtinRegistry();
  const admission = opts.admission ?? new AdmissionChain();
  if (opts.authenticator) admission.register(nodeRestriction);
  const rest = new Rest(opts.storage, registry, admission, opts.now);
  const cache = await WatchCache.create(opts.storage, opts.watchCache);
  const rbac = !opts.authorizer && opts.authenticator ? new RbacAuthorizer(opts.storage, cache) : undefined;
  const authorizer = withMasters(opts.authorizer ?? rbac ?? allowAll);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 3 * 1024 * 1024,
    // Watches are long-lived; Node's default request timeout would cut them.
    requestTimeout: 0,
    // Errors Fastify raises before routing (bad URL encoding …) are Statuses too.
    frameworkErrors: (err: Error, _req: unknown, reply: FastifyReply) => {
      void reply.code(400).type('application/json').send(badRequest(err.message).toStatus());
    },
    ...(opts.https ? { https: { key: opts.https.key, cert: opts.https.cert } } : {}),
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.decorateRequest('user', undefined);
  app.addHook('onRequest', async (req) => {
    if (!opts.authenticator) {
      req.user = undefined;
      return;
    }
    const user = opts.authenticator.authenticate(req.headers.authorization);
    if (!user && !PUBLIC_PATHS.test(req.url.split('?')[0]!)) throw unauthorized();
    req.user = user;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = tooLarge();
    else if (err.statusCode === 415) e = unsupportedMediaType(req.headers['content-type'] ?? '');
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = badRequest(err.message);
    else {
      req.log.error({ err }, 'internal error');
      e = internal(err.message);
    }
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(e.code).type('application/json').send(e.toStatus());
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('application/json').send(pathNotFound().toStatus());
  });

  const nonResource = async (req: FastifyRequest) => {
    if (!req.user) return;
    const d = await authorizer.authorize(req.user, { nonResource: { verb: req.method.toLowerCase(), path: req.url.split('?')[0]! } });
    if (!d.allowed) throw forbidden(`forbidden: User "${req.user.name}" cannot get path "${req.url.split('?')[0]!}"`);
  };

  for (const path of ['/healthz', '/livez', '/readyz']) {
    app.get(path, async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get(`${path}/*`, async (_req, reply) => reply.type('text/plain').send('ok'));
  }
  app.get('/version', async () => VERSION_INFO);

  const discovery = (core: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    await nonResource(req);
    const agg = wantsAggregated(req.headers.accept);
    if (agg) {
      // Written raw: kubectl decides on the exact media type parameters, which Fastify
      // would re-format when serialising a string body.
      const body = JSON.stringify(aggregatedDiscovery(registry, core, agg));
      reply.hijack();
      reply.raw.writeHead(200, { 'Content-Type': agg === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1, Vary: 'Accept', 'Content-Length': Buffer.byteLength(body) });
      reply.raw.end(body);
      return reply;
    }
    return core ? apiVersions(opts.serverAddress ?? '127.0.0.1:6443') : apiGroupList(registry);
  };
  app.get('/api', discovery(true));
  app.get('/apis', discovery(false));

  app.get('/openapi/v3', async (req) => {
    await nonResource(req);
    return openApiV3Index(registry);
  });
  app.get('/openapi/v3/*', async (req) => {
    await nonResource(req);
    const rel = (req.params as { '*': string })['*'];
    const doc = openApiV3GroupVersion(registry, rel);
    if (!doc) throw pathNotFound();
    return doc;
  });

  const handlerCtx = { rest, cache, authorizer, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, watches: new Set<() => void>() };
  // Watches would hold the server open forever: end them before it stops listening.
  app.addHook('preClose', async () => {
    for (const end of [...handlerCtx.watches]) end();
  });
  const resourceRoute = async (req: FastifyRequest, reply: FastifyReply) => {
    const parsed = parseApiPath(req.url.split('?')[0]!);
    if (parsed.kind === 'groupVersion') {
      if (req.method !== 'GET') throw pathNotFound();
      await nonResource(req);
      if (registry.inGroupVersion(parsed.group, parsed.version).length === 0) throw pathNotFound();
      return apiResourceList(registry, parsed.group, parsed.version);
    }
    if (parsed.kind !== 'resource') throw pathNotFound();
    return handleResource(handlerCtx, req, reply, parsed.path, req.user);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler: resourceRoute });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/apis/*', handler: resourceRoute });

  app.addHook('onClose', async () => {
    rbac?.close();
    cache.close();
  });

  if (opts.bootstrap !== false) await bootstrap(rest);
  const parts: ApiServerParts = {
    rest, cache, registry, admission, storage: opts.storage,
    endWatches: () => { for (const end of [...handlerCtx.watches]) end(); },
  };
  app.decorate('hawser', parts);
  return app as ApiServerApp;
}

// A small REST client over a kubeconfig (TLS, CA, bearer token, client certificate), for
// the few calls the kubelet and the lab make, and the watch stream the kubelet's informer
// reads. It replaces @kubernetes/client-node in these processes: that package alone
// costs ≈ 120 MiB RSS (kubeconfig.ts), and the kubelet needs exact control of the PATCH
// content type (merge-patch for status), of DeleteOptions, and the HTTP status of a
// failure (404/409/410) as data.
import https from 'node:https';
import http from 'node:http';
import { loadAccess, type ClusterAccess } from './kubeconfig.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFoundError = (e: unknown): boolean => e instanceof ApiError && e.status === 404;
export const isConflictError = (e: unknown): boolean => e instanceof ApiError && e.status === 409;

export type PatchType = 'merge' | 'strategic' | 'json';
const patchTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class Rest {
  readonly server: URL;
  private readonly agent: http.Agent;

  constructor(readonly access: ClusterAccess) {
    this.server = access.server;
    this.agent = access.server.protocol === 'https:'
      ? new https.Agent({
        keepAlive: true, ca: access.ca, cert: access.cert, key: access.key,
        rejectUnauthorized: !access.insecure, servername: access.servername,
      })
      : new http.Agent({ keepAlive: true });
  }

  static fromFile(path: string): Rest {
    return new Rest(loadAccess(path));
  }

  private options(method: string, path: string, timeoutMs: number | undefined): https.RequestOptions {
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json', 'user-agent': 'hawser-kubelet/0.1' };
    if (this.access.token) headers.authorization = `Bearer ${this.access.token}`;
    return {
      method,
      hostname: this.server.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      path,
      headers,
      timeout: timeoutMs,
      agent: this.agent,
    };
  }

  private lib(): typeof https | typeof http {
    return this.server.protocol === 'https:' ? https : http;
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 15_000): Promise<T> {
    try {
      return await this.once<T>(method, path, body, contentType, timeoutMs);
    } catch (err) {
      // A kept-alive socket the server (or the lab's forwarder) closed while idle fails
      // the next request with ECONNRESET before it was processed: a GET is safe to repeat.
      const code = (err as NodeJS.ErrnoException).code;
      if (method !== 'GET' || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw err;
      return this.once<T>(method, path, body, contentType, timeoutMs);
    }
  }

  private async once<T>(method: string, path: string, body: unknown, contentType: string, timeoutMs: number): Promise<T> {
    const opts = this.options(method, path, timeoutMs);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) opts.headers = { ...opts.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(payload) };
    return new Promise<T>((resolve, reject) => {
      const req = this.lib().request(opts, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => { text += d; });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          if (status >= 200 && status < 300) { resolve(json as T); return; }
          const st = json as { reason?: string; message?: string } | undefined;
          reject(new ApiError(status, st?.reason ?? '', `${method} ${path}: ${status} ${st?.message ?? text.slice(0, 200)}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A streaming GET (watch): each newline-terminated line goes to onLine. Resolves when
   * the server ends the stream; rejects with ApiError on a non-2xx answer. `abort()`
   * on the returned handle ends it from our side.
   */
  stream(path: string, onLine: (line: string) => void): { done: Promise<void>; abort: () => void } {
    let req: http.ClientRequest | undefined;
    const done = new Promise<void>((resolve, reject) => {
      req = this.lib().request(this.options('GET', path, undefined), (res) => {
        const status = res.statusCode ?? 0;
        let buf = '';
        res.setEncoding('utf8');
        if (status < 200 || status >= 300) {
          res.on('data', (d: string) => { buf += d; });
          res.on('end', () => reject(new ApiError(status, '', `GET ${path}: ${status} ${buf.slice(0, 200)}`)));
          return;
        }
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onLine(line);
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        res.on('aborted', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    return { done, abort: () => req?.destroy() };
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path); }
  post<T>(path: string, body: unknown): Promise<T> { return this.request<T>('POST', path, body); }
  put<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, body); }
  patch<T>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> { return this.request<T>('PATCH', path, body, patchTypes[type]); }
  delete<T>(path: string, options?: unknown): Promise<T> { return this.request<T>('DELETE', path, options); }
}

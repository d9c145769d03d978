// A small REST client over a kubeconfig (TLS, CA, bearer token from client-node's
// KubeConfig), for the few calls the kubelet and the lab make. It exists beside
// client-node's generated APIs because the kubelet needs exact control of the PATCH
// content type (merge-patch for status) and of DeleteOptions, and wants the HTTP status
// of a failure (404/409) as data.
import https from 'node:https';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

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

  constructor(readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  static fromFile(path: string): Rest {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new Rest(kc);
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 15_000): Promise<T> {
    const opts: https.RequestOptions = {
      method,
      hostname: this.server.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      path,
      headers: { accept: 'application/json' },
      timeout: timeoutMs,
    };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) opts.headers = { ...opts.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(payload) };
    const lib = this.server.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(opts, (res) => {
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

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path); }
  post<T>(path: string, body: unknown): Promise<T> { return this.request<T>('POST', path, body); }
  put<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, body); }
  patch<T>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> { return this.request<T>('PATCH', path, body, patchTypes[type]); }
  delete<T>(path: string, options?: unknown): Promise<T> { return this.request<T>('DELETE', path, options); }
}

/**
 * A tiny HTTPS client for readiness probes and raw API calls with client certificates or a bearer
 * token — enough for the e2e harness without pulling a Kubernetes client into test plumbing.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';

export interface TlsIdentity {
  /** PEM path of the CA that signed the server certificate. */
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  /** The name the server certificate must carry when it differs from the URL's host. */
  readonly servername?: string;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export function httpsGet(url: string, id: TlsIdentity, timeoutMs = 5000, headers: Record<string, string> = {}): Promise<HttpResult> {
  return httpsCall('GET', url, id, undefined, timeoutMs, headers);
}

export function httpsCall(
  method: string,
  url: string,
  id: TlsIdentity,
  body?: string,
  timeoutMs = 5000,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (id.token !== undefined) h['Authorization'] = `Bearer ${id.token}`;
    if (body !== undefined) {
      h['Content-Type'] = h['Content-Type'] ?? 'application/json';
      h['Content-Length'] = String(Buffer.byteLength(body));
    }
    const req = request(
      url,
      {
        method,
        ca: readFileSync(id.ca),
        cert: id.cert !== undefined ? readFileSync(id.cert) : undefined,
        key: id.key !== undefined ? readFileSync(id.key) : undefined,
        headers: h,
        timeout: timeoutMs,
        ...(id.servername !== undefined ? { servername: id.servername } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

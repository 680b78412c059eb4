/** A plain HTTPS GET for tests: optional client certificate, one fresh connection per call. */
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface ClientCredentials {
  /** CA that signed the server's certificate. */
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json(): Record<string, unknown>;
}

export function httpsGet(url: string, credentials: ClientCredentials, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: credentials.ca, cert: credentials.cert, key: credentials.key, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

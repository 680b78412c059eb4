/**
 * Generated requests against the external metrics API, shared by the fuzz test (test/unit/serving)
 * and the 100k-request run over HTTPS (bench/fuzz): paths, label selectors, headers, methods and
 * bodies, and the check every answer must pass — a 200 or a well-formed Kubernetes Status, never a 5xx.
 */
import fc from 'fast-check';
import { Agent, request } from 'node:https';

export const REASONS = new Set([
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'MethodNotAllowed',
  'NotAcceptable',
  'Timeout',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
]);
const GV = '/apis/external.metrics.k8s.io/v1beta1';

export function checkAnswer(code: number, contentType: string | undefined, body: string): void {
  if (code >= 500) throw new Error(`5xx: ${code} ${body}`);
  if (code === 200) {
    // JSON from the API, "ok" from health, the exposition format from /metrics.
    if (contentType === 'application/json') JSON.parse(body);
    else if (body !== 'ok' && !body.startsWith('# HELP')) throw new Error(`unexpected 200 body ${body.slice(0, 200)}`);
    return;
  }
  const status = JSON.parse(body) as Record<string, unknown>;
  const keys = Object.keys(status).sort().join(',');
  if (keys !== 'apiVersion,code,kind,message,metadata,reason,status') throw new Error(`Status keys ${keys}`);
  if (status['kind'] !== 'Status' || status['apiVersion'] !== 'v1' || status['status'] !== 'Failure') throw new Error(`not a Status: ${body}`);
  if (status['code'] !== code) throw new Error(`Status code ${String(status['code'])} != HTTP ${code}`);
  if (!REASONS.has(status['reason'] as string)) throw new Error(`reason ${String(status['reason'])}`);
  if (typeof status['message'] !== 'string' || status['message'] === '') throw new Error('empty message');
}

const selectorToken = fc.oneof(
  fc.constantFrom(
    ' ',
    ',',
    '=',
    '==',
    '!=',
    '!',
    '(',
    ')',
    'in',
    'notin',
    'service',
    'frontend',
    'cartservice',
    'app.kubernetes.io/name',
    '>',
    '<',
    '',
    'a/b/c',
    '%',
    '-x',
    'x-',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);
const selector = fc.array(selectorToken, { maxLength: 12 }).map((t) => t.join(''));
const segment = fc.oneof(
  fc.constantFrom(
    'apis',
    'external.metrics.k8s.io',
    'v1beta1',
    'namespaces',
    'online-boutique',
    'deepscaler_desired_replicas',
    'deepscaler_predicted_cpu_cores',
    '.',
    '..',
    '',
    '%2F',
    '%',
    'healthz',
    'metrics',
    'openapi',
  ),
  fc.string({ maxLength: 10 }),
);
export const path = fc.oneof(
  fc.array(segment, { maxLength: 8 }).map((s) => '/' + s.join('/')),
  fc
    .tuple(fc.constantFrom(`${GV}/namespaces/online-boutique/deepscaler_desired_replicas`, `${GV}/namespaces/default/x`, '/apis', GV), fc.constantFrom('', '/'))
    .map(([p, s]) => p + s),
  fc.string({ maxLength: 40 }),
);
export const query = fc.oneof(
  fc.constant(''),
  selector.map((s) => `?labelSelector=${encodeURIComponent(s)}`),
  selector.map((s) => `?labelSelector=${s}`),
  fc.string({ maxLength: 20 }).map((s) => `?${s}`),
);
const headerValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('system:masters', 'admin', 'hpa', ''));
export const headers = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom(
        'application/json',
        '*/*',
        'application/vnd.kubernetes.protobuf',
        'text/html',
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        '',
      ),
      fc.string({ maxLength: 30 }),
    ),
    authorization: fc.oneof(fc.constantFrom('Bearer good', 'Bearer bad', 'Bearer', 'Basic x'), fc.string({ maxLength: 20 })),
    'x-remote-user': headerValue,
    'x-remote-group': fc.array(headerValue, { maxLength: 3 }),
    'x-remote-extra-scope': fc.array(headerValue, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
export const method = fc.oneof(fc.constant('GET'), fc.constant('GET'), fc.constantFrom('POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'));

/** Methods as a hostile client sends them: the usual ones, WebDAV and made-up tokens. */
export const anyMethod = fc.oneof(
  fc.constant('GET'),
  fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE', 'CONNECTX'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

/** Request bodies: none, text, JSON-looking text, bytes (up to 8 kB). */
export const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 8192 }).map((b) => Buffer.from(b)),
);

/** Headers as above plus content types, encodings and odd values. */
export const anyHeaders = fc
  .tuple(
    headers,
    fc.record(
      {
        'content-type': fc.oneof(
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'),
          fc.string({ maxLength: 20 }),
        ),
        'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x'),
        'x-forwarded-for': fc.string({ maxLength: 20 }),
        expect: fc.constantFrom('100-continue'),
        'transfer-encoding': fc.constantFrom('chunked'),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([a, b]) => ({ ...a, ...b }));

export interface HttpsFuzzResult {
  /** Requests the server answered (the client refuses to send some generated ones at all). */
  readonly sent: number;
  readonly codes: ReadonlyMap<number, number>;
}

/**
 * `runs` generated requests (method, path, query, headers, body) over keep-alive HTTPS to `url`;
 * throws at the first answer that is a 5xx or neither a 200 nor a well-formed Status.
 */
export async function fuzzOverHttps(url: string, ca: string, runs: number, seed?: number): Promise<HttpsFuzzResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
  const codes = new Map<number, number>();
  let sent = 0;
  try {
    await fc.assert(
      fc.asyncProperty(anyMethod, path, query, anyHeaders, body, async (m, p, q, h, b) => {
        const result = await new Promise<{ code: number; type: string | undefined; body: string } | null>((resolve, reject) => {
          let req;
          try {
            // Node's client frames a body only for methods it expects one with: frame every body, as
            // real clients do, or the server reads the unframed bytes as the next request.
            const sent = m === 'HEAD' || b === undefined ? undefined : b;
            const framed = sent === undefined || h['transfer-encoding'] !== undefined ? h : { ...h, 'content-length': String(Buffer.byteLength(sent)) };
            req = request(url + (p.startsWith('/') ? p : '/' + p) + q, { agent, method: m, headers: framed }, (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => (text += d));
              res.on('end', () => resolve({ code: res.statusCode ?? 0, type: res.headers['content-type'], body: text }));
            });
          } catch {
            // Node's client refuses to send some generated methods, paths or header values at all.
            resolve(null);
            return;
          }
          req.on('error', (err: NodeJS.ErrnoException) =>
            err.code === 'ERR_INVALID_CHAR' || err.code === 'ERR_HTTP_INVALID_HEADER_VALUE' ? resolve(null) : reject(err),
          );
          req.end(m === 'HEAD' ? undefined : b);
        });
        if (result === null) return;
        sent++;
        codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        if (m === 'HEAD') {
          if (result.code >= 500) throw new Error(`5xx: HEAD ${result.code}`);
          return;
        }
        checkAnswer(result.code, result.type?.startsWith('text/plain') ? 'text/plain' : result.type, result.body);
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
    );
  } finally {
    agent.destroy();
  }
  return { sent, codes };
}

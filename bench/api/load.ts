/**
 * A lean HTTPS/1.1 load generator: raw TLS sockets, one request in flight per connection, only the
 * Content-Length parsed — so the client costs as little as possible next to the server under test.
 * Closed loop (back-to-back) measures throughput; a fixed rate measures latency from each
 * request's scheduled send time (no coordinated omission).
 */
import { connect, type TLSSocket } from 'node:tls';

export interface LoadOptions {
  readonly port: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Requests per second over all connections; undefined: back-to-back. */
  readonly rate?: number;
  readonly request: Buffer;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Called when the measured window opens and closes (after handshakes and warm-up). */
  readonly onWindow?: (phase: 'start' | 'end') => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latenciesMs: Float64Array;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function open(options: LoadOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: options.port, ca: options.ca, cert: options.cert, key: options.key, servername: 'localhost' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Opens every connection first (TLS handshakes are not what is measured), then drives them. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const sockets: TLSSocket[] = [];
  for (let i = 0; i < options.connections; i += 20) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(20, options.connections - i) }, () => open(options)))));
  }
  const latencies: number[] = [];
  let errors = 0;
  let requests = 0;
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const interval = options.rate ? (options.connections * 1000) / options.rate : 0;
  const windowStart = setTimeout(() => options.onWindow?.('start'), options.warmupMs);
  const windowEnd = setTimeout(() => options.onWindow?.('end'), options.warmupMs + options.durationMs);

  const drive = (socket: TLSSocket, index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      let buffer: Buffer = Buffer.alloc(0);
      let scheduled = start + (interval * index) / options.connections;
      let sentAt = 0;
      const send = (): void => {
        const now = performance.now();
        if (now >= end) {
          socket.end();
          return;
        }
        if (interval > 0 && scheduled > now) {
          setTimeout(send, scheduled - now);
          return;
        }
        sentAt = interval > 0 ? scheduled : now;
        socket.write(options.request);
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        const headerEnd = buffer.indexOf(HEADER_END);
        if (headerEnd < 0) return;
        const head = buffer.subarray(0, headerEnd).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < headerEnd + 4 + length) return;
        const ok = head.startsWith('HTTP/1.1 200');
        buffer = buffer.subarray(headerEnd + 4 + length);
        const now = performance.now();
        if (sentAt >= measureFrom && now <= end) {
          requests++;
          if (ok) latencies.push(now - sentAt);
          else errors++;
        }
        scheduled += interval;
        send();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      send();
    });

  try {
    await Promise.all(sockets.map((socket, i) => drive(socket, i)));
  } finally {
    clearTimeout(windowStart);
    clearTimeout(windowEnd);
  }
  return { requests, errors, seconds: options.durationMs / 1000, latenciesMs: Float64Array.from(latencies).sort() };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

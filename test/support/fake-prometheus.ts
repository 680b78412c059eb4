/**
 * A fake Prometheus HTTP API on loopback for unit tests of edge cases (faults, odd answers) that a
 * real Prometheus will not produce on demand. Each test gives the handler; requests are recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, params: URLSearchParams, res: ServerResponse) => void;

export interface FakePrometheus {
  readonly url: string;
  /** Form or query parameters of each request, in arrival order. */
  readonly requests: URLSearchParams[];
  close(): Promise<void>;
}

export async function fakePrometheus(handler: Handler): Promise<FakePrometheus> {
  const requests: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : text);
      requests.push(params);
      handler(req, params, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A matrix answer over the asked range: one series per label set, `value` at every step. */
export function matrix(
  params: URLSearchParams,
  labelSets: ReadonlyArray<Record<string, string>>,
  value = '1',
): { status: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } } {
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  const step = Number(params.get('step'));
  const values: Array<[number, string]> = [];
  for (let t = start; t <= end; t += step) values.push([t, value]);
  return {
    status: 'success',
    data: { resultType: 'matrix', result: labelSets.map((metric) => ({ metric: { ...metric }, values: values.map((v) => [...v]) })) },
  };
}

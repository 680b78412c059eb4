/**
 * Unary GetMetrics throughput and latency on loopback: the server runs in a child process (so the
 * load generator does not share its event loop) with one application of 20 services; N clients,
 * each on its own connection, call back-to-back for a fixed time after a warm-up.
 *
 *   node dist/bench/grpc/get-metrics.js [--clients 50] [--seconds 10] [--tls]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { issueCertificate } from '../../src/auth/certificates.js';
import type { GetMetricsRequest } from '../../src/grpc/messages.js';
import { loadServices } from '../../src/grpc/protos.js';
import { startGrpcServer } from '../../src/grpc/server.js';
import { SnapshotStore } from '../../src/snapshot/index.js';
import { createLogger } from '../../src/telemetry/log.js';

const SERVICES = Array.from({ length: 20 }, (_, i) => `svc-${i}`);

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    tls: { type: 'boolean', default: false },
    serve: { type: 'string' }, // child mode: "plaintext" or a directory holding tls.crt/tls.key
  },
});

async function serve(tls: string): Promise<void> {
  const store = new SnapshotStore();
  store.publishApp({
    app: 'bench',
    namespace: 'bench',
    computedAt: Date.now(),
    dataTimestamp: Date.now(),
    stepSeconds: 60,
    state: { modelUsed: true, forecaster: 'bench', lastStepAt: Date.now(), stale: false, fallback: null, lastError: null },
    recommendations: SERVICES.map((service, i) => ({
      service,
      desiredReplicas: 1 + i,
      reason: { kind: 'forecast', driver: 'cpu_cores', horizonStep: 0, demand: 1, capacityPerPod: 1, risk: 0.05, correction: 1, text: '' },
      peakCpuCores: 1,
      peakReq: 1,
    })),
    windowSeconds: 120,
    forecast: null,
    graph: null,
    observed: [],
    preview: false,
    unavailableReason: null,
  });
  const files = tls === 'plaintext' ? 'plaintext' : { certFile: join(tls, 'tls.crt'), keyFile: join(tls, 'tls.key') };
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, snapshots: store, tls: files, logger: createLogger({}, () => {}) });
  process.stdout.write(`${server.port}\n`);
  // Each line on stdin asks for the CPU time used so far: a cost per call that a busy machine does not distort.
  process.stdin.on('data', () => process.stdout.write(`${JSON.stringify(process.cpuUsage())}\n`));
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function load(): Promise<void> {
  const clients = Number(args.clients);
  const seconds = Number(args.seconds);
  let serveArg = 'plaintext';
  let credentials = grpc.credentials.createInsecure();
  if (args.tls) {
    serveArg = mkdtempSync(join(tmpdir(), 'deepscaler-bench-'));
    const pair = issueCertificate({ commonName: 'localhost', usage: 'server', hostnames: ['localhost', '127.0.0.1'] });
    writeFileSync(join(serveArg, 'tls.crt'), pair.cert);
    writeFileSync(join(serveArg, 'tls.key'), pair.key);
    credentials = grpc.credentials.createSsl(Buffer.from(pair.cert));
  }
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', serveArg], { stdio: ['pipe', 'pipe', 'inherit'] });
  const serverCpuMs = async (): Promise<number> => {
    server.stdin.write('\n');
    const [line] = (await once(server.stdout, 'data')) as [Buffer];
    const usage = JSON.parse(line.toString()) as NodeJS.CpuUsage;
    return (usage.user + usage.system) / 1000;
  };
  try {
    const [portLine] = (await once(server.stdout, 'data')) as [Buffer];
    const address = `127.0.0.1:${Number(portLine.toString())}`;
    const Scaler = loadServices().externalScaler;
    const stubs = Array.from(
      { length: clients },
      () => new Scaler(address, credentials, { 'grpc.use_local_subchannel_pool': 1, 'grpc.ssl_target_name_override': 'localhost' }),
    );
    const call = (stub: grpc.Client, i: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const request: GetMetricsRequest = {
          scaledObjectRef: { name: 'b', namespace: 'bench', scalerMetadata: { service: SERVICES[i % SERVICES.length]! } },
          metricName: '',
        };
        (stub as unknown as Record<string, (r: GetMetricsRequest, cb: (e: Error | null) => void) => void>)['GetMetrics']!(request, (err) =>
          err ? reject(err) : resolve(),
        );
      });

    const latenciesMs: number[] = [];
    const run = async (untilMs: number, record: boolean): Promise<void> => {
      await Promise.all(
        stubs.map(async (stub, c) => {
          for (let i = c; Date.now() < untilMs; i++) {
            const start = process.hrtime.bigint();
            await call(stub, i);
            if (record) latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
          }
        }),
      );
    };
    await run(Date.now() + 2_000, false); // connect, TLS handshakes, JIT warm-up
    const serverCpuBefore = await serverCpuMs();
    const clientCpuBefore = process.cpuUsage();
    const started = Date.now();
    await run(started + seconds * 1000, true);
    const elapsed = (Date.now() - started) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpu = (await serverCpuMs()) - serverCpuBefore;
    for (const stub of stubs) stub.close();

    const sorted = Float64Array.from(latenciesMs).sort();
    const result = {
      // The machine is shared: the load average says how much of it the run had.
      loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
      cpus: cpus().length,
      transport: args.tls ? 'tls' : 'plaintext',
      clients,
      seconds: Number(elapsed.toFixed(2)),
      calls: sorted.length,
      callsPerSecond: Math.round(sorted.length / elapsed),
      p50Ms: Number(quantile(sorted, 0.5).toFixed(2)),
      p90Ms: Number(quantile(sorted, 0.9).toFixed(2)),
      p99Ms: Number(quantile(sorted, 0.99).toFixed(2)),
      maxMs: Number(sorted[sorted.length - 1]!.toFixed(2)),
      serverCpuMsPerCall: Number((serverCpu / sorted.length).toFixed(3)),
      clientCpuMsPerCall: Number(((clientCpu.user + clientCpu.system) / 1000 / sorted.length).toFixed(3)),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    server.kill('SIGTERM');
  }
}

if (args.serve !== undefined) await serve(args.serve);
else await load();

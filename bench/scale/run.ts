/**
 * One adapter process serving many applications: how step compute, API latency while forecasting
 * and memory grow from 10 to 5,000 services (issue 14). Applications replay 30 s recordings: a fifth
 * of them Online Boutique with the shipped GNN (10 services each), the rest a 29-service recording
 * tiled from it, forecast by Holt. At 5,000 services: 40 GNN + 160 Holt applications (5,040 services).
 *
 *   npm run build && nice node dist/bench/scale/run.js [--services 10,100,1000,5000] [--step-interval 10] [--steps 3] [--rate 200]
 *
 * Per size: start `serve` (its own process), wait until /readyz is ready (every application has
 * published), then
 *   - step compute: the process's CPU time (all threads, /proc) over `steps` steps without API load,
 *     per step, as a share of a 30 s step (the replay runs a 30 s step every `step-interval` s, so
 *     this is the share a real-time deployment would spend);
 *   - API p50/p99 of the metric route at `rate` requests/s over 10 keep-alive connections while the
 *     steps run (the same window length);
 *   - RSS now and peak (VmRSS, VmHWM);
 *   - for reference, the p99 of a bare node:https server (bench/api's) under the same load right
 *     after: on a shared machine most of the tail is the machine's, not the adapter's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readDataset } from '../../src/dataset/files.js';
import { cpuSettingsFromTopology, withCpuCores } from '../../src/dataset/derive.js';
import type { Dataset } from '../../src/dataset/index.js';
import { writeJsonlDataset } from '../../src/dataset/jsonl-format.js';
import { loadTopology } from '../../src/graph/topology.js';
import { percentile, runLoad } from '../api/load.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10,100,1000,5000' },
    'step-interval': { type: 'string', default: '10' },
    steps: { type: 'string', default: '3' },
    rate: { type: 'string', default: '200' },
    'start-timeout': { type: 'string', default: '900' },
  },
});
const sizes = values.services!.split(',').map(Number);
const stepInterval = Number(values['step-interval']);
const steps = Number(values.steps);
const rate = Number(values.rate);
const startTimeoutMs = Number(values['start-timeout']) * 1000;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DATA = join(ROOT, 'data');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const STEP_SECONDS = 30;
const TILED_SERVICES = 29;
const work = mkdtempSync(join(tmpdir(), 'deepscaler-scale-'));
const CLK_TCK = 100;

/** Online Boutique's recording in cores, tiled to 29 services (each a copy of one boutique service, scaled a little). */
function tiledDataset(): { path: string; services: string[] } {
  const topology = loadTopology(join(DATA, 'topologies', 'online-boutique.yaml'));
  const boutique: Dataset = withCpuCores(readDataset(join(DATA, 'boutique-30s'), { stepSeconds: STEP_SECONDS }), cpuSettingsFromTopology(topology));
  const features = boutique.features;
  const services = Array.from({ length: TILED_SERVICES }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
  const n = boutique.services.length;
  const nf = features.length;
  const values = new Float32Array(boutique.length * TILED_SERVICES * nf);
  for (let t = 0; t < boutique.length; t++) {
    for (let s = 0; s < TILED_SERVICES; s++) {
      const from = (t * n + (s % n)) * nf;
      const scale = 1 + 0.1 * Math.floor(s / n);
      for (let f = 0; f < nf; f++) values[(t * TILED_SERVICES + s) * nf + f] = boutique.values[from + f]! * (features[f] === 'pod' ? 1 : scale);
    }
  }
  const path = join(work, 'tiled.jsonl');
  writeJsonlDataset(path, { ...boutique, services, startMs: boutique.startMs ?? Date.parse('2026-01-01T00:00:00Z'), values });
  return { path, services };
}

function config(totalServices: number, tiled: { path: string; services: string[] }): { text: string; apps: number; services: number; gnnApps: number } {
  const apps = Math.max(1, Math.round((200 * totalServices) / 5000));
  const gnnApps = Math.max(1, Math.ceil(apps / 5));
  const holtApps = apps - gnnApps;
  const perHolt = holtApps === 0 ? 0 : Math.max(1, Math.min(TILED_SERVICES, Math.round((totalServices - 10 * gnnApps) / holtApps)));
  const boutique = [
    'frontend',
    'adservice',
    'cartservice',
    'checkoutservice',
    'currencyservice',
    'emailservice',
    'paymentservice',
    'productcatalogservice',
    'recommendationservice',
    'shippingservice',
  ];
  const common = { stepSeconds: STEP_SECONDS, capacity: { targetUtilization: 0.7 }, minReplicas: 1, maxReplicas: 30, baseline: 'holt' };
  const list: object[] = [];
  for (let k = 0; k < gnnApps; k++) {
    list.push({
      name: `gnn-${k}`,
      namespace: `gnn-${k}`,
      services: boutique,
      source: { kind: 'replay', path: join(DATA, 'boutique-30s'), stepIntervalSeconds: stepInterval, warmupSteps: 60 },
      topology: join(DATA, 'topologies', 'online-boutique.yaml'),
      model: join(ROOT, 'models', 'online-boutique'),
      ...common,
    });
  }
  for (let k = 0; k < holtApps; k++) {
    const services = tiled.services.slice(0, perHolt);
    list.push({
      name: `holt-${k}`,
      namespace: `holt-${k}`,
      services,
      source: { kind: 'replay', path: tiled.path, stepIntervalSeconds: stepInterval, warmupSteps: 60 },
      serviceOverrides: Object.fromEntries(services.map((s) => [s, { cpuRequestCores: 0.5 }])),
      ...common,
    });
  }
  return { text: JSON.stringify({ applications: list }, null, 1), apps, services: 10 * gnnApps + perHolt * holtApps, gnnApps };
}

function procStat(pid: number): { cpuSeconds: number; rssMiB: number; peakMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

function readyz(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca, servername: 'localhost', agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * p99 of bench/api's bare target (node:https answering fixed bytes, same TLS) under the same load
 * for the same window: what this machine gives any server right now.
 */
async function bareReference(certDir: string, ca: string, admin: { cert: string; key: string }, path: string): Promise<number> {
  const dir = join(certDir, 'bare');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'serving.crt'), readFileSync(join(certDir, 'tls.crt')));
  writeFileSync(join(dir, 'serving.key'), readFileSync(join(certDir, 'tls.key')));
  writeFileSync(join(dir, 'front-proxy-ca.crt'), readFileSync(join(certDir, 'local-client-ca.crt')));
  writeFileSync(
    join(dir, 'body.json'),
    JSON.stringify({ kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items: [] }),
  );
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bench', 'api', 'target.js'), 'bare', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`bare target exited with ${code}`)));
    });
    const result = await runLoad({
      port,
      connections: 10,
      warmupMs: 2_000,
      durationMs: steps * stepInterval * 1000,
      rate,
      request: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n`),
      ca,
      ...admin,
    });
    return percentile(result.latenciesMs, 99);
  } finally {
    child.kill('SIGTERM');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => void process.stdout.write(`${new Date().toISOString()} ${msg}\n`);

const tiled = tiledDataset();
const rows: string[] = [];
for (const size of sizes) {
  const { text, apps, services, gnnApps } = config(size, tiled);
  const dir = join(work, `size-${size}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), text);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const certDir = join(dir, 'certs');
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--config', join(dir, 'config.yaml'), '--secure-port', String(port), '--cert-dir', certDir, '--no-grpc'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'error' },
    },
  );
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[serve ${size}] ${d.toString()}`));
  try {
    let ready = false;
    while (!ready) {
      if (Date.now() - started > startTimeoutMs) throw new Error(`${size} services: not ready after ${startTimeoutMs / 1000} s`);
      if (child.exitCode !== null) throw new Error(`${size} services: serve exited with ${child.exitCode}`);
      await sleep(1_000);
      try {
        ready = await readyz(port, readFileSync(join(certDir, 'tls.crt'), 'utf8'));
      } catch {
        ready = false;
      }
    }
    const startSeconds = (Date.now() - started) / 1000;
    log(`${services} services in ${apps} applications (${gnnApps} with the GNN): ready after ${startSeconds.toFixed(0)} s`);
    await sleep(stepInterval * 1000); // past the first steps' warm-up
    const windowMs = steps * stepInterval * 1000;
    const before = procStat(child.pid!);
    await sleep(windowMs);
    const after = procStat(child.pid!);
    const cpuPerStep = (after.cpuSeconds - before.cpuSeconds) / steps;
    const ca = readFileSync(join(certDir, 'tls.crt'), 'utf8');
    const admin = { cert: readFileSync(join(certDir, 'local-admin.crt'), 'utf8'), key: readFileSync(join(certDir, 'local-admin.key'), 'utf8') };
    const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/gnn-0/deepscaler_desired_replicas?labelSelector=service%3Dfrontend`;
    const result = await runLoad({
      port,
      connections: 10,
      warmupMs: 2_000,
      durationMs: windowMs,
      rate,
      request: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n`),
      ca,
      ...admin,
    });
    const mem = procStat(child.pid!);
    // The machine's own noise floor: a bare node:https server answering the same bytes, same load, right after.
    const bare = await bareReference(certDir, ca, admin, path);
    const row = [
      services,
      apps,
      gnnApps,
      startSeconds.toFixed(0),
      cpuPerStep.toFixed(2),
      `${((100 * cpuPerStep) / STEP_SECONDS).toFixed(1)} %`,
      percentile(result.latenciesMs, 50).toFixed(1),
      percentile(result.latenciesMs, 99).toFixed(1),
      bare.toFixed(1),
      `${result.requests}/${result.errors}`,
      mem.rssMiB.toFixed(0),
      mem.peakMiB.toFixed(0),
    ].join(' | ');
    rows.push(`| ${row} |`);
    log(`| ${row} |`);
  } catch (err) {
    rows.push(`| ${services} | ${apps} | ${gnnApps} | failed: ${err instanceof Error ? err.message : String(err)} |`);
    log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
process.stdout.write(
  [
    '',
    `step interval ${stepInterval} s per 30 s step, ${steps} steps measured, API load ${rate} req/s over 10 connections`,
    '| services | apps | GNN apps | ready after (s) | CPU s per step | share of a 30 s step | API p50 (ms) | API p99 (ms) | bare node:https p99 (ms) | requests/errors | RSS (MiB) | peak RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);

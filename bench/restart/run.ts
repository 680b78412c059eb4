/**
 * A rolling restart of two replicas under steady HPA-like polling, the way a Deployment with
 * maxUnavailable 0 / maxSurge 1 does it: start a new replica, wait until its /readyz is ready, send
 * SIGTERM to an old one (the endpoint is removed after a propagation delay, as the endpoints
 * controller and kube-proxy do), wait until it exits; twice. The clients keep connections alive and
 * each new connection goes to a replica chosen among the ready endpoints at connect time, as
 * kube-proxy's conntrack pins them. Every request that fails or is not a 200 is lost.
 *
 *   npm run build && nice node dist/bench/restart/run.js [--clients 8] [--interval-ms 100] [--shutdown-delay 2] [--propagation-ms 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeReplayConfigWithoutModel } from '../../test/support/replay-config.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    'interval-ms': { type: 'string', default: '100' },
    'shutdown-delay': { type: 'string', default: '2' },
    'propagation-ms': { type: 'string', default: '1000' },
    'settle-seconds': { type: 'string', default: '5' },
  },
});
const clients = Number(values.clients);
const intervalMs = Number(values['interval-ms']);
const shutdownDelay = values['shutdown-delay']!;
const propagationMs = Number(values['propagation-ms']);
const settleMs = Number(values['settle-seconds']) * 1000;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'deepscaler-restart-'));
const certDir = join(work, 'certs');
const PATH = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas?labelSelector=service%3Dfrontend';

// The shipped Online Boutique replay without the GNN (Holt only): the restart is about serving, and
// replicas then start in seconds even on a busy machine.
const config = writeReplayConfigWithoutModel(work);

interface Replica {
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** In the endpoints list (ready and not terminating). */
  ready: boolean;
  exited: Promise<number | null>;
}

let nextPort = 20_000 + Math.floor(Math.random() * 20_000);
const replicas: Replica[] = [];

function startReplica(name: string): Replica {
  const port = nextPort++;
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--config', config, '--secure-port', String(port), '--cert-dir', certDir, '--no-grpc', '--shutdown-delay', shutdownDelay],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const replica: Replica = { name, port, process: child, ready: false, exited };
  replicas.push(replica);
  return replica;
}

const ca = (): string => readFileSync(join(certDir, 'tls.crt'), 'utf8');
const client = (): { cert: string; key: string } => ({
  cert: readFileSync(join(certDir, 'local-admin.crt'), 'utf8'),
  key: readFileSync(join(certDir, 'local-admin.key'), 'utf8'),
});

/** GET /readyz on one replica: true on 200. */
function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca: ca(), servername: 'localhost', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitReady(replica: Replica): Promise<void> {
  const until = Date.now() + 180_000;
  while (!(await readyz(replica.port).catch(() => false))) {
    if (Date.now() > until) throw new Error(`${replica.name} not ready after 180 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  replica.ready = true; // the endpoints controller adds it
}

async function terminate(replica: Replica): Promise<number | null> {
  replica.process.kill('SIGTERM');
  // The endpoint disappears from kube-proxy only after the change has propagated.
  setTimeout(() => (replica.ready = false), propagationMs);
  return replica.exited;
}

// kube-proxy: a new connection goes to a random ready endpoint; the connection stays there.
let connectionsOpened = 0;
const agent = new Agent({ keepAlive: true, maxSockets: clients });
(agent as unknown as { createConnection: () => ReturnType<typeof connect> }).createConnection = () => {
  const ready = replicas.filter((r) => r.ready);
  const target = ready[Math.floor(Math.random() * ready.length)];
  connectionsOpened++;
  return connect({ host: '127.0.0.1', port: target?.port ?? 1, ca: ca(), servername: 'localhost', ...client() });
};

let sent = 0;
let lost = 0;
const failures = new Map<string, number>();
let polling = true;

function poll(): Promise<void> {
  return new Promise((resolve) => {
    sent++;
    const req = request({ host: 'deepscaler-adapter.deepscaler.svc', port: 443, path: PATH, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) {
          lost++;
          failures.set(`HTTP ${res.statusCode}`, (failures.get(`HTTP ${res.statusCode}`) ?? 0) + 1);
        }
        resolve();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      lost++;
      const why = err.code ?? err.message;
      failures.set(why, (failures.get(why) ?? 0) + 1);
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function hpa(): Promise<void> {
  while (polling) {
    const started = Date.now();
    await poll();
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
  }
}

const log = (msg: string): void => void process.stdout.write(`${new Date().toISOString()} ${msg}\n`);

try {
  const a = startReplica('a');
  await waitReady(a); // a writes the certificates the others reuse
  const b = startReplica('b');
  await waitReady(b);
  log(`replicas a (:${a.port}) and b (:${b.port}) ready; ${clients} clients polling every ${intervalMs} ms`);
  const load = Array.from({ length: clients }, () => hpa());
  await new Promise((r) => setTimeout(r, settleMs));
  for (const [old, fresh] of [
    [a, 'c'],
    [b, 'd'],
  ] as const) {
    const next = startReplica(fresh);
    await waitReady(next);
    log(`${fresh} ready; terminating ${old.name}`);
    const code = await terminate(old);
    log(`${old.name} exited with ${code}`);
  }
  await new Promise((r) => setTimeout(r, settleMs));
  polling = false;
  await Promise.all(load);
  log(
    `requests: ${sent}, lost: ${lost}${lost > 0 ? ` (${[...failures].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}, connections opened: ${connectionsOpened}, shutdown delay ${shutdownDelay} s, propagation ${propagationMs} ms`,
  );
  process.exitCode = lost === 0 ? 0 : 1;
} finally {
  polling = false;
  agent.destroy();
  for (const r of replicas) r.process.kill('SIGKILL');
}

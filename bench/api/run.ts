/**
 * Benchmark of the metric route: the adapter against a bare node:https server (and express)
 * returning the same bytes, each in its own process, measured in the same run, rounds interleaved.
 *
 *   npm run build && node dist/bench/api/run.js --connections 200 --seconds 5 --rounds 3 --rate 1000
 *
 * Per target and round: closed-loop throughput, then latency at a fixed total rate, then the
 * server's CPU per request and peak RSS. Prints a markdown table and the medians' ratios.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { answer, parseTarget } from '../../src/serving/api.js';
import { ExampleMetricsProvider } from '../../src/serving/example-provider.js';
import { makeCa, makeClientCert, makeServingCert, tempDir, writeKeyPair } from '../../test/support/pki.js';
import { percentile, runLoad } from './load.js';

const program = new Command()
  .option('--connections <n>', 'keep-alive connections', '200')
  .option('--seconds <n>', 'measured seconds per phase', '5')
  .option('--warmup <n>', 'warm-up seconds per phase', '2')
  .option('--rounds <n>', 'rounds (targets interleaved in each)', '3')
  .option('--rate <n>', 'total requests/s of the latency phase', '1000')
  .option('--targets <list>', 'comma-separated targets', 'bare,express,adapter')
  .parse();
const opts = program.opts<{ connections: string; seconds: string; warmup: string; rounds: string; rate: string; targets: string }>();
const connections = Number(opts.connections);
const durationMs = Number(opts.seconds) * 1000;
const warmupMs = Number(opts.warmup) * 1000;
const rate = Number(opts.rate);
const targets = opts.targets.split(',');

const PATH = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas?labelSelector=service%3Dfrontend';
const dir = tempDir('deepscaler-bench-api-');
const servingCa = makeCa('bench-serving-ca');
const frontProxyCa = makeCa('bench-front-proxy-ca');
const frontProxy = makeClientCert(frontProxyCa, 'front-proxy-client');
writeKeyPair(dir, 'serving', makeServingCert(servingCa));
writeFileSync(join(dir, 'front-proxy-ca.crt'), frontProxyCa.cert);
writeFileSync(join(dir, 'body.json'), answer(parseTarget(PATH), 'GET', undefined, ExampleMetricsProvider.fromFile(), () => undefined).body);
// What the aggregator sends on behalf of the HPA controller.
const request = Buffer.from(
  [
    `GET ${PATH} HTTP/1.1`,
    'Host: localhost',
    'User-Agent: kube-controller-manager/v1.30.0',
    'Accept: application/vnd.kubernetes.protobuf, */*',
    'X-Remote-User: system:serviceaccount:kube-system:horizontal-pod-autoscaler',
    'X-Remote-Group: system:serviceaccounts',
    'X-Remote-Group: system:serviceaccounts:kube-system',
    'X-Remote-Group: system:authenticated',
    '',
    '',
  ].join('\r\n'),
);

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
function memoryMb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(key))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

async function startTarget(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./target.js', import.meta.url));
  const child = spawn(process.execPath, [script, kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`target ${kind} exited with ${code}`)));
  });
  return { child, port };
}

interface Row {
  readonly target: string;
  readonly round: number;
  readonly throughput: number;
  readonly errors: number;
  readonly cpuMsPerRequest: number;
  readonly p50: number;
  readonly p99: number;
  readonly rateAchieved: number;
  readonly peakRssMb: number;
}

async function measure(kind: string, round: number): Promise<Row> {
  const { child, port } = await startTarget(kind);
  const pid = child.pid!;
  try {
    const base = { port, connections, warmupMs, durationMs, request, ca: servingCa.cert, cert: frontProxy.cert, key: frontProxy.key };
    const cpu: number[] = [];
    const saturated = await runLoad({ ...base, onWindow: () => cpu.push(cpuMs(pid)) });
    const paced = await runLoad({ ...base, rate });
    return {
      target: kind,
      round,
      throughput: saturated.requests / saturated.seconds,
      errors: saturated.errors + paced.errors,
      // CPU inside the measured window only: handshakes and warm-up are not what is compared.
      cpuMsPerRequest: (cpu[1]! - cpu[0]!) / saturated.requests,
      p50: percentile(paced.latenciesMs, 50),
      p99: percentile(paced.latenciesMs, 99),
      rateAchieved: paced.requests / paced.seconds,
      peakRssMb: memoryMb(pid, 'VmHWM'),
    };
  } finally {
    child.kill();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f = (x: number, d = 1): string => x.toFixed(d);

const rows: Row[] = [];
console.log(
  `connections=${connections} seconds=${opts.seconds} warmup=${opts.warmup} rounds=${opts.rounds} rate=${rate} load=${readFileSync('/proc/loadavg', 'utf8').trim()}`,
);
console.log('| round | target | req/s (closed loop) | server CPU ms/req | p50 ms @rate | p99 ms @rate | achieved req/s @rate | errors | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (let round = 1; round <= Number(opts.rounds); round++) {
  for (const kind of targets) {
    const r = await measure(kind, round);
    rows.push(r);
    console.log(
      `| ${round} | ${kind} | ${f(r.throughput, 0)} | ${f(r.cpuMsPerRequest, 3)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.rateAchieved, 0)} | ${r.errors} | ${f(r.peakRssMb)} |`,
    );
  }
}
console.log(`load after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log('\n| target (median of rounds) | req/s | ratio to bare | CPU ms/req | bare CPU / target CPU | p50 ms | p99 ms | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|');
const of = (kind: string, key: keyof Row): number => median(rows.filter((r) => r.target === kind).map((r) => r[key] as number));
for (const kind of targets) {
  const bareT = of('bare', 'throughput');
  const bareCpu = of('bare', 'cpuMsPerRequest');
  console.log(
    `| ${kind} | ${f(of(kind, 'throughput'), 0)} | ${f(of(kind, 'throughput') / bareT, 2)} | ${f(of(kind, 'cpuMsPerRequest'), 3)} | ${f(bareCpu / of(kind, 'cpuMsPerRequest'), 2)} | ${f(of(kind, 'p50'), 2)} | ${f(of(kind, 'p99'), 2)} | ${f(of(kind, 'peakRssMb'))} |`,
  );
}

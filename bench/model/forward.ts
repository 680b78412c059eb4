/**
 * Forward-pass benchmark: one GnnForecaster.forecast() for all services (N = 10 and N = 41, the
 * default model config, batch 1), on the wasm backend and on the pure-JS cpu backend in the same
 * run (the ratio is what to compare across machines), beside the Holt baseline on the same window.
 *
 *   npm run build && node dist/bench/model/forward.js [--repeats 50]
 */
import { performance } from 'node:perf_hooks';
import { tf } from '../../src/model/backend.js';
import { DEFAULT_MODEL_CONFIG } from '../../src/model/config.js';
import { GnnForecaster } from '../../src/model/forecaster.js';
import { GnnNetwork } from '../../src/model/network.js';
import { baselineForecaster } from '../../src/forecast/baselines.js';
import { DEMAND_FEATURES } from '../../src/forecast/index.js';
import type { HistoryWindow } from '../../src/history/index.js';
import type { Feature } from '../../src/core/frame.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const FEATURES: Feature[] = ['cpu', 'mem', 'res', 'req', 'pod', 'cpu_cores', 'cpu_request'];
const repeatsFlag = process.argv.indexOf('--repeats');
const REPEATS = repeatsFlag > 0 ? Number(process.argv[repeatsFlag + 1]) : 50;

function forecasterFor(n: number): { forecaster: GnnForecaster; window: HistoryWindow } {
  const services = Array.from({ length: n }, (_, i) => `svc${i}`);
  const nf = FEATURES.length;
  const normalization = { mean: new Float32Array(n * nf), std: new Float32Array(n * nf).fill(1) };
  const meta = { services, features: FEATURES, targets: [...DEMAND_FEATURES], stepSeconds: 30, config: DEFAULT_MODEL_CONFIG, normalization };
  const graph = new Float32Array(n * n);
  for (let i = 0; i < n; i++) graph[i * n + i] = 1;
  const network = new GnnNetwork(meta, 1, graph);
  const training = {
    createdAt: '',
    backend: '',
    seconds: 0,
    bestValLoss: 0,
    split: { trainEnd: 0, valEnd: 0, length: 0 },
    trainConfig: {},
    history: [],
    provenance: {},
  };
  const forecaster = new GnnForecaster({ meta, training, graph: { services, adjacency: graph, start: graph }, network });
  const steps = DEFAULT_MODEL_CONFIG.inputSteps;
  const window: HistoryWindow = {
    services,
    features: FEATURES,
    stepSeconds: 30,
    timestamps: Float64Array.from({ length: steps }, (_, t) => t * 30_000),
    values: Float32Array.from({ length: steps * n * nf }, (_, i) => (i % 17) / 17),
  };
  return { forecaster, window };
}

async function median(run: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await run(); // warm-up: kernels compile, memory grows
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');

const rows: string[] = [];
for (const n of [10, 41]) {
  const ms: Record<string, number> = {};
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
    await tf.ready();
    const { forecaster, window } = forecasterFor(n);
    ms[backend] = await median(() => forecaster.forecast(window));
    forecaster.dispose();
  }
  const holt = baselineForecaster('holt', DEFAULT_MODEL_CONFIG.horizon, [...DEMAND_FEATURES], DEFAULT_MODEL_CONFIG.inputSteps);
  const { window } = forecasterFor(n);
  ms['holt'] = await median(() => holt.forecastSync(window));
  rows.push(
    `| ${n} | ${ms['wasm']!.toFixed(1)} | ${ms['cpu']!.toFixed(1)} | ${(ms['cpu']! / ms['wasm']!).toFixed(1)}× | ${ms['holt']!.toFixed(2)} | ${ms['wasm']! < 30 ? 'yes' : 'no'} |`,
  );
}
process.stdout.write(
  [
    `forward pass, batch 1, all services, median of ${REPEATS} (config: T_in ${DEFAULT_MODEL_CONFIG.inputSteps}, H ${DEFAULT_MODEL_CONFIG.horizon}, ` +
      `${DEFAULT_MODEL_CONFIG.blocks} blocks, cheb ${DEFAULT_MODEL_CONFIG.chebChannels}×2, time ${DEFAULT_MODEL_CONFIG.timeChannels}, F ${FEATURES.length})`,
    '',
    '| N | wasm ms | cpu ms | cpu / wasm | Holt baseline ms | wasm < 30 ms |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);

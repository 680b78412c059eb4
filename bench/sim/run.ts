/**
 * The closed-loop benchmark: every application × every shipped trace × seeds, each autoscaler swept
 * over its own knob, through the same runner as `simulate` (src/experiment/scenario.ts). Writes each
 * scenario's report under bench/sim/out/<app>-<trace>/seed<N>/ and prints a summary of
 * DeepScaler against the CPU HPA's frontier. Nothing is tuned per trace: every scenario uses the
 * settings below.
 *
 *   npm run build && nice -n 10 node dist/bench/sim/run.js [--seeds=1,2,3] [--hours=54] [--train-hours=48] [--risks=0.01,0.05,0.1,0.3] [--reuse-models] [app-trace …]
 *
 * DeepScaler is trained once per application and trace, on seed 1's training part (the first
 * 48 h of the run, simulated under the CPU HPA); seeds 2 and 3 score that model on their own
 * (other noise, other pod start-ups) last 6 h.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithCpuHpa } from '../../src/experiment/report.js';
import type { AutoscalerName } from '../../src/experiment/runner.js';
import { runScenario } from '../../src/experiment/scenario.js';
import { DEFAULT_CPU_METRICS_LAG_SECONDS, DEFAULT_SCALING } from '../../src/sim/autoscalers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const APPS = [
  { name: 'boutique', topology: 'online-boutique', peak: 100, sloMs: 400 },
  { name: 'trainticket', topology: 'train-ticket', peak: 150, sloMs: 100 },
  { name: 'bookinfo', topology: 'bookinfo', peak: 100, sloMs: 200 },
] as const;
// SLO: 3 × the application's unloaded end-to-end latency (0.134, 0.034, 0.067 s), one rule for all.
const TRACES = [
  { name: 'worldcup', file: 'worldcup98-per-minute.csv' },
  { name: 'random100max', file: 'random-100max.req' },
  { name: 'clarknet', file: 'clarknet-1995-per-minute.csv' },
  { name: 'azure', file: 'azure-functions-2019-total-per-minute.csv' },
] as const;

const SEEDS = (flag('seeds') ?? '1,2,3').split(',').map(Number);
// 48 h of training history (two days: enough for a daily period) and 6 h scored after it.
const HOURS = Number(flag('hours') ?? 54);
const TRAIN_HOURS = Number(flag('train-hours') ?? 48);
const STEP_SECONDS = 15;
const NOISE = 0.05;
const CPU_TARGETS = [0.4, 0.55, 0.7, 0.9];
const RISKS = (flag('risks') ?? '0.01,0.05,0.1,0.3').split(',').map(Number);
const AUTOSCALERS: AutoscalerName[] = ['cpu-hpa', 'deepscaler', 'holt', 'phpa', 'periodic', 'perfect-foresight'];
// Bounded training so the matrix fits a shared 2-core machine (~40 CPU-minutes).
const TRAIN_CONFIG = { numEpoch: 3, numIter: 1, maxBatchesPerEpoch: 30 };
const reuseModels = args.includes('--reuse-models');
const wanted = args.filter((a) => !a.startsWith('--'));

function fmt(x: number | null, digits: number): string {
  return x === null ? '—' : Number.isFinite(x) ? x.toFixed(digits) : '∞';
}

process.stdout.write(`# bench/sim — ${new Date().toISOString()} — ${args.join(' ')}\n`);
for (const app of APPS) {
  for (const trace of TRACES) {
    const name = `${app.name}-${trace.name}`;
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const outDir = join(ROOT, 'bench/sim/out', name);
    for (const seed of SEEDS) {
      const outcomes = await runScenario({
        topology: join(ROOT, 'data/topologies', `${app.topology}.yaml`),
        trace: join(ROOT, 'data/traces', trace.file),
        peak: app.peak,
        hours: HOURS,
        offsetHours: 0,
        stepSeconds: STEP_SECONDS,
        noise: NOISE,
        seeds: [seed],
        sloMs: app.sloMs,
        app: {},
        scaling: DEFAULT_SCALING,
        startupSeconds: [30, 60],
        cpuMetricsLagSeconds: DEFAULT_CPU_METRICS_LAG_SECONDS,
        prometheusLagSeconds: 30,
        autoscalers: AUTOSCALERS,
        knobs: { 'cpu-hpa': CPU_TARGETS, phpa: CPU_TARGETS, deepscaler: RISKS, holt: RISKS, periodic: RISKS },
        // Seeds after the first score the model seed 1 trained on the same part of the trace
        // (--reuse-models: seed 1 too, when an earlier run left it there).
        ...(seed !== SEEDS[0] || (reuseModels && existsSync(join(outDir, `seed${SEEDS[0]}`, 'model', 'model.json')))
          ? { modelDir: join(outDir, `seed${SEEDS[0]}`, 'model') }
          : {}),
        trainFraction: TRAIN_HOURS / HOURS,
        trainConfig: TRAIN_CONFIG,
        outDir: join(outDir, `seed${seed}`),
      });
      for (const { result, markdown, wallSeconds } of outcomes) {
        process.stdout.write(`\n## ${name} seed ${seed} (${wallSeconds.toFixed(0)} s)\n\n${markdown}\n`);
        const ds = compareWithCpuHpa(result).filter((c) => c.name === 'deepscaler');
        const line = ds.map(
          (c) =>
            `risk ${c.knob}: violations ×${fmt(c.violationRatio, 2)} at equal cost, cost ×${fmt(c.costRatio, 3)} at equal violations, cost/floor ${fmt(c.point.coreHours / result.floorCoreHours, 3)}`,
        );
        process.stdout.write(`SUMMARY ${name} seed ${seed}: ${line.join('; ')}\n`);
      }
    }
  }
}

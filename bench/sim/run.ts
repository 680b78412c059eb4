/**
 * Outcome benchmark of the simulator: DeepScaler against the CPU HPA, a non-graph predictive
 * autoscaler (Holt) and the oracle, per scenario, with the issue's goals checked as ratios measured
 * in the same run. DeepScaler is trained on the first half of each run (simulated under the CPU
 * HPA) and every autoscaler is scored on the second half. Also times a 24 h Train-Ticket run.
 *
 *   npm run build && nice -n 5 node dist/bench/sim/run.js [--margin=0.1] [--seed=1] [--reuse-models] [--no-speed] [scenario…]
 *
 * --reuse-models scores the model each scenario trained before (bench/sim/out/<scenario>/model)
 * instead of training again; results for another margin or seed go to out/<scenario>-margin<m>-seed<s>/.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopology } from '../../src/graph/topology.js';
import { DEFAULT_SCALING } from '../../src/sim/autoscalers.js';
import { runExperiment, writeExperimentReport, resultsTable, type ExperimentOptions } from '../../src/experiment/runner.js';
import { buildWorkload, loadTrace } from '../../src/sim/workload.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Scenario {
  readonly name: string;
  readonly topology: string;
  readonly trace: string;
  readonly peak: number;
  readonly hours: number;
  readonly stepSeconds: number;
  readonly sloMs: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'boutique-worldcup', topology: 'online-boutique', trace: 'worldcup98-per-minute.csv', peak: 100, hours: 24, stepSeconds: 15, sloMs: 1500 },
  { name: 'trainticket-worldcup', topology: 'train-ticket', trace: 'worldcup98-per-minute.csv', peak: 150, hours: 24, stepSeconds: 15, sloMs: 800 },
  { name: 'boutique-random100max', topology: 'online-boutique', trace: 'random-100max.req', peak: 100, hours: 8, stepSeconds: 5, sloMs: 1500 },
];

const NOISE = 0.05;
const DEFAULT_MARGIN = 0.1;
const DEFAULT_SEED = 1;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const margin = Number(flag('margin') ?? DEFAULT_MARGIN);
const SEED = Number(flag('seed') ?? DEFAULT_SEED);
const reuseModels = args.includes('--reuse-models');
const wanted = args.filter((a) => !a.startsWith('--'));

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(3) : a > 0 ? '∞' : 'n/a (both 0)';
}

async function runScenario(s: Scenario): Promise<void> {
  const trace = loadTrace(join(ROOT, 'data/traces', s.trace));
  const rates = buildWorkload(trace, { stepSeconds: s.stepSeconds, durationSeconds: s.hours * 3600, peak: s.peak, noise: NOISE, seed: SEED });
  const options: ExperimentOptions = {
    topology: loadTopology(join(ROOT, 'data/topologies', `${s.topology}.yaml`)),
    rates,
    stepSeconds: s.stepSeconds,
    seed: SEED,
    sloSeconds: s.sloMs / 1000,
    scaling: DEFAULT_SCALING,
    autoscalers: ['cpu-hpa', 'holt', 'deepscaler', 'perfect-foresight'],
    trainFraction: 0.5,
    // Bounded training so the three scenarios fit on a shared 2-core machine.
    trainConfig: { numEpoch: 4, numIter: 2, maxBatchesPerEpoch: 40 },
    margin,
    outDir: join(ROOT, 'bench/sim/out', `${s.name}${margin === DEFAULT_MARGIN ? '' : `-margin${margin}`}${SEED === DEFAULT_SEED ? '' : `-seed${SEED}`}`),
    ...(reuseModels ? { modelDir: join(ROOT, 'bench/sim/out', `${s.name}${SEED === DEFAULT_SEED ? '' : `-seed${SEED}`}`, 'model') } : {}),
  };
  const result = await runExperiment(options);
  const training = result.trainingSeconds === null ? 'model of the earlier training run' : `trained ${result.trainingSeconds.toFixed(0)} s`;
  const description = `${s.name}: ${s.topology} under ${s.trace}, peak ${s.peak} req/s, ${s.hours} h at ${s.stepSeconds} s, noise ${NOISE}, seed ${SEED}, SLO ${s.sloMs} ms, margin ${margin}; DeepScaler ${training} on the first half, all scored on the second half`;
  writeExperimentReport(result, options, description);
  const get = (name: 'cpu-hpa' | 'holt' | 'deepscaler' | 'perfect-foresight') => result.runs.get(name)!.summary;
  const ds = get('deepscaler');
  const hpa = get('cpu-hpa');
  const holt = get('holt');
  const oracle = get('perfect-foresight');
  process.stdout.write(`\n## ${description}\n\n${resultsTable(result)}\n\n`);
  process.stdout.write(
    [
      `- SLO violations deepscaler / cpu-hpa = ${ratio(ds.latency.sloViolationRate, hpa.latency.sloViolationRate)} (goal ≤ 0.5)`,
      `- CPU cost deepscaler / cpu-hpa = ${ratio(ds.cpuCoreHours, hpa.cpuCoreHours)} (goal ≤ 1.0)`,
      `- SLO violations deepscaler / holt = ${ratio(ds.latency.sloViolationRate, holt.latency.sloViolationRate)}, CPU cost deepscaler / holt = ${ratio(ds.cpuCoreHours, holt.cpuCoreHours)} (goal: better than holt)`,
      `- CPU cost deepscaler / oracle = ${ratio(ds.cpuCoreHours, oracle.cpuCoreHours)} (goal ≤ 1.3)`,
    ].join('\n') + '\n',
  );
}

/** Speed: 24 h at 15 s of Train-Ticket per autoscaler that needs no model. */
async function speed(): Promise<void> {
  const rates = buildWorkload(loadTrace(join(ROOT, 'data/traces/worldcup98-per-minute.csv')), { stepSeconds: 15, durationSeconds: 86_400, peak: 40, noise: NOISE, seed: SEED });
  const result = await runExperiment({
    topology: loadTopology(join(ROOT, 'data/topologies/train-ticket.yaml')),
    rates,
    stepSeconds: 15,
    seed: SEED,
    sloSeconds: 0.8,
    scaling: DEFAULT_SCALING,
    autoscalers: ['cpu-hpa', 'holt', 'perfect-foresight'],
    trainFraction: 0,
    margin,
    outDir: join(ROOT, 'bench/sim/out/speed'),
  });
  process.stdout.write(`\n## speed: Train-Ticket (${result.app.services.length} services), 24 h at 15 s = ${rates.length} steps\n\n`);
  for (const [name, run] of result.runs) {
    const { wallSeconds, autoscalerSeconds } = run.summary;
    process.stdout.write(`- ${name}: ${wallSeconds.toFixed(2)} s wall, of which ${autoscalerSeconds.toFixed(2)} s in the autoscaler (${(wallSeconds - autoscalerSeconds).toFixed(2)} s simulator)\n`);
  }
}

process.stdout.write(`# bench/sim — ${new Date().toISOString()} — ${args.join(' ')}\n`);
if (!args.includes('--no-speed')) await speed();
for (const s of SCENARIOS) if (wanted.length === 0 || wanted.includes(s.name)) await runScenario(s);

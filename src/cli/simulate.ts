/**
 * `deepscaler simulate`: an application (topology file) under a workload trace, scaled by several
 * autoscalers side by side in the simulator; prints the outcome table and writes plots.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, expectNumber, expectOneOf } from '../config/validate.js';
import { loadTopology } from '../graph/topology.js';
import { parseCpuCosts } from '../sim/app.js';
import { DEFAULT_SCALING } from '../sim/autoscalers.js';
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from '../sim/cluster.js';
import { AUTOSCALER_NAMES, resultsTable, runExperiment, writeExperimentReport, type AutoscalerName } from '../experiment/runner.js';
import { buildWorkload, loadTrace } from '../sim/workload.js';
import { progressBar, type Progress } from '../util/progress.js';

const DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

interface SimulateFlags {
  readonly topology: string;
  readonly trace: string;
  readonly peak: string;
  readonly hours: string;
  readonly offsetHours: string;
  readonly step: string;
  readonly noise: string;
  readonly seed: string;
  readonly sloMs: string;
  readonly autoscalers: string;
  readonly targetUtilization: string;
  readonly maxReplicas: string;
  readonly startup: string;
  readonly cpuCostMs: string;
  readonly cpuCost?: string;
  readonly burstToLimit?: boolean;
  readonly model?: string;
  readonly trainFraction?: string;
  readonly epochs?: string;
  readonly margin?: string;
  readonly out: string;
}

function parseStartup(text: string): [number, number] {
  const [min, max] = text.split('-').map(Number);
  if (min === undefined || max === undefined || !(min >= 0) || !(max >= min)) throw new ConfigError(`--startup: expected <min>-<max> seconds, e.g. 30-60, got "${text}"`);
  return [min, max];
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const topology = loadTopology(flags.topology);
  const stepSeconds = expectNumber(flags.step, '--step', { min: 1 });
  const autoscalers = flags.autoscalers.split(',').map((name, i) => expectOneOf(name.trim(), `--autoscalers[${i}]`, AUTOSCALER_NAMES)) as AutoscalerName[];
  const hours = expectNumber(flags.hours, '--hours', { min: 0.1 });
  const trace = loadTrace(flags.trace);
  const seed = expectNumber(flags.seed, '--seed', { integer: true });
  const rates = buildWorkload(trace, {
    stepSeconds,
    durationSeconds: hours * 3600,
    offsetSeconds: expectNumber(flags.offsetHours, '--offset-hours', { min: 0 }) * 3600,
    peak: expectNumber(flags.peak, '--peak', { min: 0.001 }),
    noise: expectNumber(flags.noise, '--noise', { min: 0, max: 1 }),
    seed,
  });
  const out = resolve(flags.out);
  let bar: { label: string; progress: Progress } | null = null;
  const onRunProgress = (label: string, done: number, total: number): void => {
    if (bar?.label !== label) bar = { label, progress: progressBar(label.padEnd(12), total) };
    bar.progress.update(done);
    if (done === total) bar.progress.finish();
  };
  const options = {
    topology,
    app: {
      defaultCpuSecondsPerRequest: expectNumber(flags.cpuCostMs, '--cpu-cost-ms', { min: 0.001 }) / 1000,
      ...(flags.cpuCost ? { cpuSecondsPerRequest: parseCpuCosts(flags.cpuCost) } : {}),
      burstToLimit: flags.burstToLimit === true,
    },
    rates,
    stepSeconds,
    seed,
    sloSeconds: expectNumber(flags.sloMs, '--slo-ms', { min: 1 }) / 1000,
    scaling: {
      ...DEFAULT_SCALING,
      targetUtilization: expectNumber(flags.targetUtilization, '--target-utilization', { min: 0.05, max: 1 }),
      minReplicas: 1,
      maxReplicas: expectNumber(flags.maxReplicas, '--max-replicas', { integer: true, min: 1 }),
    },
    startupSeconds: parseStartup(flags.startup),
    autoscalers,
    ...(flags.model ? { modelDir: resolve(flags.model) } : {}),
    trainFraction:
      flags.trainFraction !== undefined
        ? expectNumber(flags.trainFraction, '--train-fraction', { min: 0, max: 0.9 })
        : autoscalers.includes('deepscaler') && !flags.model
          ? 0.5
          : 0,
    ...(flags.epochs ? { trainConfig: { numEpoch: expectNumber(flags.epochs, '--epochs', { integer: true, min: 1 }) } } : {}),
    ...(flags.margin !== undefined ? { margin: expectNumber(flags.margin, '--margin', { min: 0, max: 2 }) } : {}),
    outDir: out,
    onRunProgress,
    onTrainProgress: (p: { iteration: number; numIter: number; phase: string; epoch: number; epochs: number; loss: number }) =>
      process.stderr.write(`\rtraining: iteration ${p.iteration}/${p.numIter} ${p.phase} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}   `),
  };
  const result = await runExperiment(options);
  const description =
    `${topology.name} under ${trace.name} (peak ${flags.peak} req/s, ${hours} h at ${stepSeconds} s, noise ${flags.noise}, seed ${seed}); ` +
    `SLO ${flags.sloMs} ms end-to-end; scored from step ${result.evalStart} after ${result.warmupSteps} warm-up steps` +
    (result.trainingSeconds !== null ? `; DeepScaler trained on the first ${options.trainFraction} of the run in ${result.trainingSeconds.toFixed(0)} s` : '');
  writeExperimentReport(result, options, description);
  process.stdout.write(`${description}\n\n${resultsTable(result)}\n\nPlots and results.json in ${out}\n`);
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'Simulate an application under a workload trace with several autoscalers side by side (same seed, same HPA algorithm) ' +
        'and report SLO violations, latency percentiles, CPU cost and scaling actions, with plots.',
    )
    .option('--topology <file>', 'application topology YAML (services, CPU, call edges)', `${DATA}topologies/online-boutique.yaml`)
    .option('--trace <file>', 'workload: per-minute counts (.csv, WorldCup98) or concurrent users every 5 s (.req)', `${DATA}traces/worldcup98-per-minute.csv`)
    .option('--peak <req/s>', 'external requests/s at the peak of the simulated part of the trace', '100')
    .option('--hours <h>', 'simulated length (a shorter trace loops)', '24')
    .option('--offset-hours <h>', 'start this far into the trace', '0')
    .option('--step <s>', 'simulation and metrics step, seconds', '15')
    .option('--noise <sd>', 'multiplicative Gaussian noise on the rate per step (0 = none)', '0')
    .option('--seed <n>', 'seed for noise and pod start-up delays', '1')
    .option('--slo-ms <ms>', 'end-to-end latency SLO; slower or dropped requests are violations', '1000')
    .option('--autoscalers <list>', `comma-separated, from ${AUTOSCALER_NAMES.join(', ')}`, 'cpu-hpa,holt,perfect-foresight')
    .option('--target-utilization <f>', 'CPU target as a fraction of the request, for every autoscaler', String(DEFAULT_SCALING.targetUtilization))
    .option('--max-replicas <n>', 'maxReplicas of every HPA', String(DEFAULT_SCALING.maxReplicas))
    .option('--startup <min-max>', 'pod start-up delay, uniform, seconds', '30-60')
    .option('--cpu-cost-ms <ms>', 'CPU milliseconds per request at every service without its own cost', '2')
    .option('--cpu-cost <list>', 'per-service CPU ms per request, e.g. frontend=3,cartservice=1.5')
    .option('--burst-to-limit', 'pods compute with their CPU limit instead of their request')
    .option('--model <dir>', 'trained DeepScaler model for the deepscaler autoscaler (else it is trained on the first part)')
    .option('--train-fraction <f>', 'share of the run left out of every score; with deepscaler and no --model it is simulated under cpu-hpa and trained on (default 0.5 then, else 0)')
    .option('--epochs <n>', 'predictor epochs per training iteration (default: the model defaults)')
    .option('--margin <f>', "the predictive autoscalers' least safety margin (the adapter's margin.default; default: serve's)")
    .option('--out <dir>', 'where plots and results go', 'sim-results')
    .addHelpText(
      'after',
      `
Model (see src/sim/*.ts): requests enter at the topology's entry and fan out by callsPerRequest;
each pod computes with its CPU request (processor sharing, latency S/(1-ρ) plus queue wait);
requests queued longer than ${DEFAULT_QUEUE_TIMEOUT_SECONDS} s are dropped; new pods serve after the start-up delay.
Predictive autoscalers serve desired replicas through the HPA algorithm as External AverageValue 1.

Example:
  deepscaler simulate --topology data/topologies/train-ticket.yaml --peak 40 --autoscalers cpu-hpa,holt,deepscaler,perfect-foresight`,
    )
    .action(runSimulate);
}

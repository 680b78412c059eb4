/**
 * `deepscaler simulate`: an application (topology file) under a workload trace, scaled by several
 * autoscalers side by side in the simulator, each swept over its own knob; prints the frontier
 * table and the comparisons with the CPU HPA, writes results.md, outcome.json and frontier.svg,
 * and with --json the machine-readable outcome.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, expectNumber, expectOneOf } from '../core/index.js';
import {
  outcomeJson,
  AUTOSCALER_NAMES,
  DEFAULT_RISK_SWEEP,
  DEFAULT_PROMETHEUS_LAG_SECONDS,
  DEFAULT_TARGET_SWEEP,
  type AutoscalerName,
  runScenario,
} from '../experiment/index.js';
import { parseCpuCosts, DEFAULT_CPU_METRICS_LAG_SECONDS, DEFAULT_SCALING, DEFAULT_QUEUE_TIMEOUT_SECONDS } from '../sim/index.js';
import { writeFileAtomic, progressBar, type Progress } from '../util/index.js';

const DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

interface SimulateFlags {
  readonly topology: string;
  readonly trace: string;
  readonly trainTrace?: string;
  readonly peak: string;
  readonly hours: string;
  readonly offsetHours: string;
  readonly step: string;
  readonly noise: string;
  readonly seeds: string;
  readonly sloMs: string;
  readonly autoscalers: string;
  readonly targetUtilization: string;
  readonly cpuTargets: string;
  readonly risks: string;
  readonly maxReplicas: string;
  readonly scaleDownWindow: string;
  readonly tolerance: string;
  readonly metricsLag: string;
  readonly prometheusLag: string;
  readonly startup: string;
  readonly cpuCostMs: string;
  readonly cpuCost?: string;
  readonly burst: boolean;
  readonly model?: string;
  readonly trainFraction: string;
  readonly epochs?: string;
  readonly out: string;
  readonly json?: string;
}

function parseStartup(text: string): [number, number] {
  const [min, max] = text.split('-').map(Number);
  if (min === undefined || max === undefined || !(min >= 0) || !(max >= min))
    throw new ConfigError(`--startup: expected <min>-<max> seconds, e.g. 30-60, got "${text}"`);
  return [min, max];
}

function numberList(text: string, flag: string, rule: { min?: number; max?: number; integer?: boolean }): number[] {
  const values = text.split(',').map((part, i) => expectNumber(part.trim(), `${flag}[${i}]`, rule));
  if (values.length === 0) throw new ConfigError(`${flag}: give at least one value`);
  return values;
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const autoscalers = flags.autoscalers.split(',').map((name, i) => expectOneOf(name.trim(), `--autoscalers[${i}]`, AUTOSCALER_NAMES)) as AutoscalerName[];
  const cpuTargets = numberList(flags.cpuTargets, '--cpu-targets', { min: 0.05, max: 1 });
  const risks = numberList(flags.risks, '--risks', { min: 0.001, max: 0.5 });
  const scaling = {
    ...DEFAULT_SCALING,
    targetUtilization: expectNumber(flags.targetUtilization, '--target-utilization', { min: 0.05, max: 1 }),
    maxReplicas: expectNumber(flags.maxReplicas, '--max-replicas', { integer: true, min: 1 }),
    scaleDownWindowSeconds: expectNumber(flags.scaleDownWindow, '--scale-down-window', { min: 0, max: 3600 }),
    tolerance: expectNumber(flags.tolerance, '--tolerance', { min: 0, max: 1 }),
  };
  const out = resolve(flags.out);
  const trainFraction = expectNumber(flags.trainFraction, '--train-fraction', { min: 0, max: 0.9 });
  let bar: { label: string; progress: Progress } | null = null;
  const outcomes = await runScenario({
    topology: flags.topology,
    trace: flags.trace,
    ...(flags.trainTrace !== undefined ? { trainTrace: flags.trainTrace } : {}),
    peak: expectNumber(flags.peak, '--peak', { min: 0.001 }),
    hours: expectNumber(flags.hours, '--hours', { min: 0.1 }),
    offsetHours: expectNumber(flags.offsetHours, '--offset-hours', { min: 0 }),
    stepSeconds: expectNumber(flags.step, '--step', { min: 1 }),
    noise: expectNumber(flags.noise, '--noise', { min: 0, max: 1 }),
    seeds: numberList(flags.seeds, '--seeds', { integer: true, min: 0 }),
    sloMs: expectNumber(flags.sloMs, '--slo-ms', { min: 1 }),
    app: {
      defaultCpuSecondsPerRequest: expectNumber(flags.cpuCostMs, '--cpu-cost-ms', { min: 0.001 }) / 1000,
      ...(flags.cpuCost ? { cpuSecondsPerRequest: parseCpuCosts(flags.cpuCost) } : {}),
      burstToLimit: flags.burst,
    },
    scaling,
    startupSeconds: parseStartup(flags.startup),
    cpuMetricsLagSeconds: expectNumber(flags.metricsLag, '--metrics-lag', { min: 0 }),
    prometheusLagSeconds: expectNumber(flags.prometheusLag, '--prometheus-lag', { min: 0 }),
    autoscalers,
    knobs: { 'cpu-hpa': cpuTargets, phpa: cpuTargets, deepscaler: risks, holt: risks, periodic: risks },
    ...(flags.model ? { modelDir: resolve(flags.model) } : {}),
    trainFraction,
    ...(flags.epochs ? { trainConfig: { numEpoch: expectNumber(flags.epochs, '--epochs', { integer: true, min: 1 }) } } : {}),
    outDir: out,
    onRunProgress: (label, done, total) => {
      if (bar?.label !== label) bar = { label, progress: progressBar(label.padEnd(28), total) };
      bar.progress.update(done);
      if (done === total) bar.progress.finish();
    },
    onTrainProgress: (p) =>
      process.stderr.write(`\rtraining: iteration ${p.iteration}/${p.numIter} ${p.phase} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}   `),
  });
  for (const o of outcomes) process.stdout.write(`${o.markdown}\n(${o.wallSeconds.toFixed(0)} s)\n\n`);
  if (flags.json) {
    const docs = outcomes.map((o) => outcomeJson(o.result, fileNameOf(flags.trace), o.seed));
    writeFileAtomic(resolve(flags.json), JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
  }
  process.stdout.write(`Reports, outcome.json and frontier.svg in ${out}\n`);
}

function fileNameOf(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'Simulate an application under a workload trace with several autoscalers side by side (same seed, same HPA settings), each swept over its own knob; ' +
        'report SLO violations against CPU cost as frontiers, with a cost floor and a perfect-foresight reference.',
    )
    .option('--topology <file>', 'application topology YAML (services, CPU, call edges)', `${DATA}topologies/online-boutique.yaml`)
    .option(
      '--trace <file>',
      'workload: per-minute counts (.csv: "minute,requests" with a header, or WorldCup98 "YYYY-MM-DD HH:MM:SS,count") or concurrent users every 5 s (.req)',
      `${DATA}traces/worldcup98-per-minute.csv`,
    )
    .option(
      '--train-trace <file>',
      'train the learning autoscalers on this trace instead of the first --train-fraction of --trace (then all of --trace is scored)',
    )
    .option('--peak <req/s>', 'external requests/s at the peak of the simulated part of the trace', '100')
    .option('--hours <h>', 'simulated length (a shorter trace loops)', '24')
    .option('--offset-hours <h>', 'start this far into the trace', '0')
    .option('--step <s>', 'simulation and metrics step, seconds', '15')
    .option('--noise <sd>', 'multiplicative Gaussian noise on the rate per step (0 = none)', '0.05')
    .option('--seeds <list>', 'comma-separated seeds (noise and pod start-up delays); one report per seed', '1')
    .option('--slo-ms <ms>', 'end-to-end latency SLO; slower or dropped requests are violations', '1000')
    .option('--autoscalers <list>', `comma-separated, from ${AUTOSCALER_NAMES.join(', ')}`, 'cpu-hpa,holt,phpa,periodic,perfect-foresight')
    .option('--target-utilization <f>', "CPU target of the predictive autoscalers' capacity and of the cost floor", String(DEFAULT_SCALING.targetUtilization))
    .option('--cpu-targets <list>', "the CPU HPA's and PHPA's knob: target utilizations swept", DEFAULT_TARGET_SWEEP.join(','))
    .option(
      '--risks <list>',
      "the adapter's knob (risk: accepted probability of under-provisioning the look-ahead peak) swept for deepscaler, holt and periodic",
      DEFAULT_RISK_SWEEP.join(','),
    )
    .option('--max-replicas <n>', 'maxReplicas of every HPA', String(DEFAULT_SCALING.maxReplicas))
    .option('--scale-down-window <s>', "every HPA's behavior.scaleDown.stabilizationWindowSeconds", String(DEFAULT_SCALING.scaleDownWindowSeconds))
    .option('--tolerance <f>', "every HPA's tolerance (inclusive, as Kubernetes ≥ 1.33)", String(DEFAULT_SCALING.tolerance))
    .option('--metrics-lag <s>', 'age of the CPU a CPU-utilization HPA reads (metrics-server scrape + window)', String(DEFAULT_CPU_METRICS_LAG_SECONDS))
    .option('--prometheus-lag <s>', 'age of the data the adapter reads from Prometheus', String(DEFAULT_PROMETHEUS_LAG_SECONDS))
    .option('--startup <min-max>', 'pod start-up delay, uniform, seconds', '30-60')
    .option('--cpu-cost-ms <ms>', 'CPU milliseconds per request at every service without its own cost', '2')
    .option('--cpu-cost <list>', 'per-service CPU ms per request, e.g. frontend=3,cartservice=1.5')
    .option('--no-burst', 'pods compute at their CPU request instead of bursting to their limit')
    .option('--model <dir>', 'trained DeepScaler model (checked against the application before anything runs; else trained on the training part)')
    .option('--train-fraction <f>', 'share of --trace used for training (deepscaler, periodic) and never scored', '0.5')
    .option('--epochs <n>', 'predictor epochs per training iteration (default: the model defaults)')
    .option('--out <dir>', 'where reports and plots go', 'sim-results')
    .option(
      '--json <file>',
      'write the outcome {app, trace, seed, floorCoreHours, autoscalers:[{name, knob, points:[{knob, violationPct, coreHours}]}]} (an array of them for several seeds)',
    )
    .addHelpText(
      'after',
      `
Model (see src/sim/*.ts): requests enter at the topology's entry and fan out by callsPerRequest;
each pod computes up to its CPU limit (processor sharing, latency S/(1-ρ) plus queue wait);
requests queued longer than ${DEFAULT_QUEUE_TIMEOUT_SECONDS} s are dropped; new pods serve after the start-up delay and
removed pods cost their request for a 30 s grace period. The predictive autoscalers are the
adapter's own serving loop (the same decision engine as serve), served to the HPAs as External
AverageValue 1. The cost floor is each scored step's exact demand at --target-utilization with
instant pods.

Example:
  deepscaler simulate --topology data/topologies/train-ticket.yaml --peak 40 --hours 12 \\
    --autoscalers cpu-hpa,deepscaler,holt,perfect-foresight --json outcome.json`,
    )
    .action(runSimulate);
}

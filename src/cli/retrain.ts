/**
 * `deepscaler retrain`: the model lifecycle of one application, meant for a CronJob (one Job per
 * application) on the volume the adapter reads its model from:
 *
 *   collect the last N days from Prometheus → train a candidate → score the candidate and the live
 *   model, beside the tuned baselines, by evaluate's decision loss on the newest held-out window (the steps the candidate never
 *   trained or early-stopped on) → promote atomically only if the candidate wins, else keep the
 *   live model → record the decision (retrain.json, retrain-log.jsonl; the adapter exports it).
 *
 * Each step is the same code `collect`, `train` and `evaluate` run; the layout and the promotion
 * rule are in src/model/lifecycle.ts.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadServeConfig, lookAheadBaseSeconds, type ApplicationConfig } from '../config/index.js';
import { ConfigError, expectNumber, ALL_FEATURES } from '../core/index.js';
import { parseCallGraphSpec } from '../graph/index.js';
import {
  loadGnnForecaster,
  evaluateModel,
  type DecisionSettings,
  DATA,
  LIVE,
  VERSIONS,
  judge,
  liveVersion,
  newVersion,
  promote,
  prune,
  recordDecision,
  summarizeScores,
  type ModelScore,
  type RetrainDecision,
  type Scored,
  loadTrainingData,
} from '../model/index.js';
import { prometheusSourceConfig } from '../sources/index.js';
import { log, type Logger } from '../telemetry/index.js';
import { runCollect } from './collect.js';
import { heldOutSplit } from './evaluate.js';
import { lookAheadSteps } from '../planning/index.js';
import { resolveConfigs, trainWithProgress, type TrainCliOptions } from './train.js';

export interface ScoredWindow {
  readonly scored: Scored;
  readonly testStart: number;
  readonly window: NonNullable<RetrainDecision['window']>;
}

/** The pipeline's steps; the real ones below, doubles in tests. */
export interface RetrainSteps {
  /** Writes the dataset folder (atomically). */
  collect(dataDir: string): Promise<void>;
  /** Writes a model folder (atomically). */
  train(dataDir: string, saveDir: string): Promise<void>;
  /** Scores a model folder on the dataset from `testStart` (null: the model's own held-out split). Throws when the model cannot forecast this data. */
  score(modelDir: string, dataDir: string, testStart: number | null): Promise<ScoredWindow>;
}

export interface RetrainPlan {
  readonly app: string;
  /** The application's folder on the volume (live, versions/, data/, retrain.json). */
  readonly modelsDir: string;
  /** Share of the live model's decision loss the candidate must shave off to replace it (0.02 = 2 %). */
  readonly minImprovement: number;
  /** Versions kept besides the live one. */
  readonly keep: number;
}

/**
 * Runs the pipeline and returns the recorded decision. A failure before the decision is recorded
 * as one (promoted: false, error) and rethrown; the live model is untouched either way.
 */
export async function retrain(plan: RetrainPlan, steps: RetrainSteps, logger: Logger = log, clock: () => number = Date.now): Promise<RetrainDecision> {
  const started = clock();
  const { modelsDir } = plan;
  const cleaned = prune(modelsDir, plan.keep);
  if (cleaned.length > 0) logger.info('removed leftovers and old versions', { removed: cleaned });
  const dataDir = join(modelsDir, DATA);
  const version = newVersion(new Date(started));
  const liveDir = join(modelsDir, LIVE);
  const previous = liveVersion(modelsDir);
  let candidate: ScoredWindow | null = null;
  try {
    logger.info('collecting', { app: plan.app, into: dataDir });
    await steps.collect(dataDir);
    logger.info('training a candidate', { version });
    await steps.train(dataDir, join(modelsDir, VERSIONS, version));
    candidate = await steps.score(join(modelsDir, VERSIONS, version), dataDir, null);
    let live: { score: ModelScore | null; error?: string } = { score: null };
    if (existsSync(liveDir)) {
      try {
        live = { score: (await steps.score(liveDir, dataDir, candidate.testStart)).scored.model };
      } catch (err) {
        live = { score: null, error: `the live model cannot be scored on this data: ${(err as Error).message}` };
        logger.warn('the live model cannot be scored; the candidate only has to beat the baselines', { error: live.error });
      }
    }
    const verdict = judge(candidate.scored.model, live.score, plan.minImprovement);
    if (verdict.promote) promote(modelsDir, version);
    const decision: RetrainDecision = {
      app: plan.app,
      at: new Date(clock()).toISOString(),
      promoted: verdict.promote,
      reason: verdict.reason,
      candidate: { version, score: candidate.scored.model },
      live: { version: previous, score: live.score, ...(live.error === undefined ? {} : { error: live.error }) },
      baselines: candidate.scored.baselines,
      window: candidate.window,
      seconds: (clock() - started) / 1000,
    };
    recordDecision(modelsDir, decision);
    (verdict.promote ? logger.info : logger.warn).call(logger, verdict.promote ? 'promoted the candidate' : 'kept the live model', {
      app: plan.app,
      reason: verdict.reason,
      candidate: version,
      live: previous,
    });
    prune(modelsDir, plan.keep);
    return decision;
  } catch (err) {
    const message = (err as Error).message;
    recordDecision(modelsDir, {
      app: plan.app,
      at: new Date(clock()).toISOString(),
      promoted: false,
      reason: `retraining failed; kept the live model: ${message}`,
      candidate: candidate === null ? null : { version, score: candidate.scored.model },
      live: { version: previous, score: null },
      baselines: candidate?.scored.baselines ?? [],
      window: candidate?.window ?? null,
      error: message,
      seconds: (clock() - started) / 1000,
    });
    throw err;
  }
}

/**
 * Scores a saved model with `evaluate`'s code on the newest held-out window, the baselines fitted
 * and tuned on the steps before it. `decision` sizes the look-ahead peak the evaluation also scores.
 */
export async function scoreModel(
  modelDir: string,
  dataDir: string,
  testStart: number | null,
  decision: (stepSeconds: number, horizon: number) => DecisionSettings,
): Promise<ScoredWindow> {
  const model = await loadGnnForecaster(modelDir);
  try {
    const { info } = model;
    const { dataset } = loadTrainingData(dataDir, { stepSeconds: info.stepSeconds, required: info.features });
    const start = testStart ?? heldOutSplit(info.training, dataset.length).valEnd;
    const result = evaluateModel(model, dataset, start, decision(info.stepSeconds, info.horizon));
    const at = (step: number): string => new Date((dataset.startMs ?? 0) + step * dataset.stepSeconds * 1000).toISOString();
    return {
      scored: summarizeScores(result),
      testStart: start,
      window: { startStep: result.split.start, endStep: result.split.end, from: at(result.split.start), to: at(result.split.end - 1) },
    };
  } finally {
    model.dispose();
  }
}

interface RetrainFlags extends Omit<TrainCliOptions, 'data' | 'modelName' | 'modelSavePath' | 'stepSeconds' | 'topology'> {
  readonly config: string;
  readonly app?: string;
  readonly models?: string;
  readonly days: string;
  readonly prometheus?: string;
  readonly graph?: string;
  readonly minImprovement: string;
  readonly keep: string;
  readonly progress: boolean;
}

function pickApp(apps: readonly ApplicationConfig[], name: string | undefined): ApplicationConfig {
  if (name === undefined) {
    if (apps.length === 1) return apps[0]!;
    throw new ConfigError(`--app: the configuration has ${apps.length} applications (${apps.map((a) => a.name).join(', ')}); name one`);
  }
  const app = apps.find((a) => a.name === name);
  if (app === undefined) throw new ConfigError(`--app: no application "${name}" in the configuration (has: ${apps.map((a) => a.name).join(', ')})`);
  return app;
}

/** The real steps for one configured application. */
export function realSteps(app: ApplicationConfig, flags: RetrainFlags, argv: readonly string[], now: number): RetrainSteps {
  if (app.source.kind !== 'prometheus')
    throw new ConfigError(`application "${app.name}": retrain collects from Prometheus, but source.kind is "${app.source.kind}"`);
  const days = expectNumber(flags.days, '--days', { min: 0.01, max: 90 });
  const services = app.services ?? [];
  // An empty list is fine here (collect discovers the services from Istio); the parser only needs one.
  const source = prometheusSourceConfig(app.source, app.namespace, services.length > 0 ? services : ['discovered'], app.stepSeconds);
  const graph = parseCallGraphSpec(flags.graph ?? app.topology ?? 'istio', '--graph');
  const trainOptions: TrainCliOptions = { ...flags, data: '', modelName: app.name };
  const { model, train } = resolveConfigs(trainOptions);
  return {
    collect: async (dataDir) => {
      const result = await runCollect({
        prometheus: flags.prometheus ?? source.url,
        namespace: app.namespace,
        services,
        features: [...ALL_FEATURES],
        startMs: now - days * 86_400_000,
        endMs: now,
        stepSeconds: app.stepSeconds,
        rateWindow: source.rateWindow,
        templates: source.templates,
        graph,
        out: dataDir,
        format: 'jsonl',
        timeoutMs: source.timeoutMs ?? 30_000,
        retries: source.retries ?? 3,
        progress: flags.progress,
      });
      log.info('collected', { services: result.dataset.services.length, steps: result.dataset.length, requests: result.requests });
    },
    train: async (dataDir, saveDir) => {
      const data = loadTrainingData(dataDir, { required: model.targets });
      await trainWithProgress(
        {
          dataset: data.dataset,
          callGraph: data.callGraph,
          modelConfig: model,
          trainConfig: train,
          saveDir,
          provenance: { modelName: app.name, data: dataDir, graph: data.graphSource, command: `deepscaler ${argv.join(' ')}` },
        },
        `train ${app.name}`,
        flags.progress,
      );
    },
    // The look-ahead and the risk the adapter plans this application with.
    score: (modelDir, dataDir, testStart) =>
      scoreModel(modelDir, dataDir, testStart, (stepSeconds, horizon) => ({
        lookAheadSteps: lookAheadSteps(lookAheadBaseSeconds(app) + app.stepSeconds, stepSeconds, horizon),
        risk: app.risk,
      })),
  };
}

export async function runRetrain(flags: RetrainFlags, argv: readonly string[]): Promise<void> {
  const config = loadServeConfig(flags.config, {});
  const app = pickApp(config.applications, flags.app);
  const modelsDir = flags.models ?? (app.model !== null && basename(app.model) === LIVE ? dirname(app.model) : undefined);
  if (modelsDir === undefined) {
    throw new ConfigError(
      `--models: application "${app.name}" reads its model from ${app.model ?? '(no model)'}; point its model at <folder>/${LIVE} on the shared volume, or pass --models <folder>`,
    );
  }
  const plan: RetrainPlan = {
    app: app.name,
    modelsDir,
    minImprovement: expectNumber(flags.minImprovement, '--min-improvement', { min: 0, max: 0.9 }),
    keep: expectNumber(flags.keep, '--keep', { integer: true, min: 1 }),
  };
  const decision = await retrain(plan, realSteps(app, flags, argv, Date.now()), log.child({ component: 'retrain', app: app.name }));
  const score = (s: ModelScore | null | undefined): string => (s ? s.relativeError.toFixed(3) : '–');
  process.stdout.write(
    `${decision.promoted ? 'PROMOTED' : 'KEPT the live model'}: ${decision.reason}\n` +
      `  candidate ${decision.candidate?.version ?? '–'}: relative error ${score(decision.candidate?.score)}; live ${decision.live.version ?? '(none)'}: ${score(decision.live.score)}` +
      ` (relative error = decision loss ÷ the best tuned baseline's: pinball at 1 − risk of the calibrated look-ahead peak; window ${decision.window?.from ?? '?'} .. ${decision.window?.to ?? '?'})\n` +
      `  decision written to ${join(modelsDir, 'retrain.json')}\n`,
  );
}

export function registerRetrain(program: Command): void {
  program
    .command('retrain')
    .description(
      "Retrain one application's model from its recent Prometheus data and promote the candidate atomically only if it beats the live model " +
        'and the baselines on the newest held-out window (for a CronJob: manifests/retrain).',
    )
    .option(
      '--config <path>',
      "the adapter's configuration (the application's Prometheus, namespace, services, step); env DEEPSCALER_CONFIG",
      process.env['DEEPSCALER_CONFIG'] ?? '/etc/deepscaler/config.yaml',
    )
    .option('--app <name>', 'the application to retrain (default: the only one)')
    .option('--models <dir>', `the application's folder on the model volume (default: the folder of its model path when that ends in /${LIVE})`)
    .option('--days <n>', 'days of history to collect, ending now', '7')
    .option('--prometheus <url>', "Prometheus URL (default: the application's source url)")
    .option('--graph <source>', "starting call graph: istio, none, or a topology .yaml (default: the application's topology, else istio)")
    .option('--model-config <file>', 'model config (YAML/JSON), as for train')
    .option('--train-config <file>', 'train config (YAML/JSON), as for train')
    .option('--num-epoch <n>', 'predictor epochs per iteration (overrides the train config)')
    .option('--num-iter <n>', 'alternating iterations (overrides the train config)')
    .option('--max-graph-num <n>', 'size of the graph pool (overrides the train config)')
    .option('--seed <n>', 'random seed (overrides the train config)')
    .option('--min-improvement <ratio>', "share of the live model's decision loss the candidate must shave off (0.02 = 2 %)", '0')
    .option('--keep <n>', 'model versions kept besides the live one', '3')
    .option('--no-progress', 'no progress bars')
    .action((flags: RetrainFlags) => runRetrain(flags, process.argv.slice(2)));
}

/**
 * `deepscaler evaluate`: scores a saved model on held-out data beside tuned baselines, by the
 * decision quantity (pinball loss of the calibrated look-ahead peak, under-provision, excess
 * capacity) and by MAE/RMSE/MAPE per horizon step, in original units; optionally beside the same
 * model trained with other graph modes (the ablation). Prints the tables and writes the report
 * folder (tables, JSON, SVG plots, learned-graph comparison).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_LOOK_AHEAD } from '../config/index.js';
import { ConfigError, expectNumber } from '../core/index.js';
import {
  loadGnnForecaster,
  type GnnForecaster,
  alignDataset,
  evaluateModel,
  type TuningData,
  loadTrainingData,
  splitBounds,
  type TrainingMetadata,
} from '../model/index.js';
import { lookAheadSteps } from '../planning/index.js';
import { formatEvaluation, writeEvaluationReport } from '../report/index.js';

/** The model's own split when this is its training data, else the same fractions of it: test steps start at valEnd. */
export function heldOutSplit(
  training: Pick<TrainingMetadata, 'split' | 'trainConfig'>,
  length: number,
): { readonly trainEnd: number; readonly valEnd: number } {
  const { split, trainConfig } = training;
  return split.length === length ? split : splitBounds(length, trainConfig['trainFraction']!, trainConfig['valFraction']!);
}

export interface EvaluateCliOptions {
  readonly modelName: string;
  readonly modelSavePath?: string;
  readonly data?: string;
  readonly topology?: string;
  readonly stepSeconds?: string;
  readonly testStart?: string;
  readonly tuneData?: string;
  readonly lookAhead?: string;
  readonly risk: string;
  readonly compare?: string;
  readonly plotStep?: string;
  readonly out?: string;
}

/** The topology the model was trained with, when its provenance names a topology file that exists. */
function recordedTopology(model: GnnForecaster): string | undefined {
  const graph = model.info.training.provenance['graph'];
  return graph !== undefined && /\.ya?ml$/.test(graph) && existsSync(graph) ? graph : undefined;
}

export async function runEvaluate(options: EvaluateCliOptions): Promise<void> {
  const modelDir = options.modelSavePath ?? `models/${options.modelName}`;
  const model = await loadGnnForecaster(modelDir);
  const variants: GnnForecaster[] = [];
  try {
    const { info } = model;
    const trainedOn = info.training.provenance['data'];
    const dataPath = options.data ?? trainedOn ?? 'data/boutique-30s';
    const topology = options.topology ?? recordedTopology(model);
    const stepSeconds = options.stepSeconds === undefined ? info.stepSeconds : expectNumber(options.stepSeconds, '--step-seconds', { min: 0.001 });
    const load = (path: string) => loadTrainingData(path, { topology, stepSeconds, required: info.features }).dataset;
    const dataset = load(dataPath);
    const { trainConfig } = info.training;
    const ownSplit = heldOutSplit(info.training, dataset.length);
    const testStart =
      options.testStart !== undefined ? expectNumber(options.testStart, '--test-start', { integer: true, min: 0, max: dataset.length - 1 }) : ownSplit.valEnd;
    // Baselines are fitted and tuned before the test split; with too little before it, on the model's own training data.
    let tuning: TuningData | undefined;
    const tunePath = options.tuneData ?? (testStart < ownSplit.valEnd && trainedOn !== undefined && trainedOn !== dataPath ? trainedOn : undefined);
    if (tunePath !== undefined) {
      const tuneSet = load(tunePath);
      const bounds = splitBounds(tuneSet.length, trainConfig['trainFraction']!, trainConfig['valFraction']!);
      tuning = { data: alignDataset(tuneSet, info.services, info.features), trainEnd: bounds.trainEnd, valEnd: bounds.valEnd };
    }
    const lookAheadSeconds =
      options.lookAhead === undefined
        ? DEFAULT_LOOK_AHEAD.podStartupSeconds + DEFAULT_LOOK_AHEAD.hpaSyncSeconds + info.stepSeconds
        : expectNumber(options.lookAhead, '--look-ahead', { min: 0.001 });
    const risk = expectNumber(options.risk, '--risk', { min: 0.001, max: 0.5 });
    const plotStep =
      options.plotStep === undefined ? info.horizon : expectNumber(options.plotStep, '--plot-step', { integer: true, min: 1, max: info.horizon });
    for (const dir of (options.compare ?? '').split(',').filter((d) => d !== '')) {
      const variant = await loadGnnForecaster(dir);
      variants.push(variant);
      if (variant.info.horizon !== info.horizon || variant.info.stepSeconds !== info.stepSeconds) {
        throw new ConfigError(
          `--compare ${dir}: forecasts ${variant.info.horizon} steps of ${variant.info.stepSeconds} s, the model ${info.horizon} of ${info.stepSeconds} s`,
        );
      }
    }
    const decision = { lookAheadSteps: lookAheadSteps(lookAheadSeconds, info.stepSeconds, info.horizon), risk };
    process.stderr.write(
      `evaluating ${modelDir} on ${dataPath} from step ${testStart}${tunePath === undefined ? '' : `, baselines tuned on ${tunePath}`} (tuning ~1 min)…\n`,
    );
    const result = evaluateModel(model, dataset, testStart, decision, { tuning, variants });
    process.stdout.write(formatEvaluation(result) + '\n');
    const out = options.out ?? `${modelDir}/evaluation`;
    const files = await writeEvaluationReport(out, result, { plotStep: plotStep - 1, history: info.training.history });
    process.stdout.write(`\nwrote ${files.length} files to ${out} (report.txt, report.json, forecast-*.svg, graph-*.svg, loss.svg)\n`);
  } finally {
    model.dispose();
    for (const v of variants) v.dispose();
  }
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Score a trained model beside tuned baselines on held-out data: pinball loss of the planned look-ahead peak after online calibration, ' +
        'under-provision and excess capacity, and MAE/RMSE/MAPE per horizon step; write tables and plots',
    )
    .option('--model-name <name>', 'model name (the folder under models/ unless --model-save-path is given)', 'deepscaler')
    .option('--model-save-path <dir>', 'model folder to evaluate (default models/<model-name>)')
    .option('--data <path>', 'dataset: a folder of seed .log files, a collect folder, or a .jsonl file (default: the data the model was trained on)')
    .option(
      '--topology <file>',
      'topology YAML, to derive cpu_cores from the cpu fraction when the data lacks it (default: the one the model was trained with)',
    )
    .option('--step-seconds <s>', "step of seed .log data (default: the model's step)")
    .option(
      '--test-start <step>',
      "first scored step. Default: the model's held-out split on its own training data; on other data, the same fractions (only its last " +
        '20 % is scored). Use 0 to score all of a recording the model never saw',
    )
    .option(
      '--tune-data <path>',
      "data the baselines are fitted and tuned on (its train/validation split); default: the steps before --test-start, or the model's training data when too few",
    )
    .option('--look-ahead <seconds>', 'look-ahead the planner sizes for (default: pod start-up 60 s + HPA sync 15 s + one step of data age)')
    .option('--risk <p>', 'accepted probability that the look-ahead peak exceeds the plan; the pinball loss is taken at 1 − risk', '0.05')
    .option('--compare <dirs>', 'comma-separated model folders of the same config trained with other --graph-mode values (the graph ablation)')
    .option('--plot-step <h>', 'horizon step drawn in the forecast plots, 1..H (default H)')
    .option('--out <dir>', 'report folder (default <model folder>/evaluation)')
    .action((options: EvaluateCliOptions) => runEvaluate(options));
}

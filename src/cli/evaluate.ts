/**
 * `deepscaler evaluate`: scores a saved model on the held-out (last, chronological) part of a
 * dataset beside the baselines — persistence, moving average, Holt — in original units, prints the
 * tables and writes the report folder (tables, JSON, SVG plots, learned-graph comparison).
 */
import type { Command } from 'commander';
import { expectNumber } from '../config/validate.js';
import { loadGnnForecaster } from '../model/index.js';
import { evaluateModel } from '../model/evaluation.js';
import { loadTrainingData } from '../model/training-data.js';
import { formatEvaluation, writeEvaluationReport } from '../report/evaluation.js';
import { splitBounds } from '../model/windows.js';

export interface EvaluateCliOptions {
  readonly modelName: string;
  readonly modelSavePath?: string;
  readonly data: string;
  readonly topology?: string;
  readonly stepSeconds?: string;
  readonly testStart?: string;
  readonly plotStep?: string;
  readonly out?: string;
}

export async function runEvaluate(options: EvaluateCliOptions): Promise<void> {
  const modelDir = options.modelSavePath ?? `models/${options.modelName}`;
  const model = await loadGnnForecaster(modelDir);
  try {
    const { info } = model;
    const stepSeconds = options.stepSeconds === undefined ? info.stepSeconds : expectNumber(options.stepSeconds, '--step-seconds', { min: 0.001 });
    const { dataset } = loadTrainingData(options.data, { topology: options.topology, stepSeconds, required: info.features });
    // The model's own held-out steps when this is its training data, else the same fractions.
    const { split, trainConfig } = info.training;
    const testStart =
      options.testStart !== undefined
        ? expectNumber(options.testStart, '--test-start', { integer: true, min: 0, max: dataset.length - 1 })
        : split.length === dataset.length
          ? split.valEnd
          : splitBounds(dataset.length, trainConfig['trainFraction']!, trainConfig['valFraction']!).valEnd;
    const plotStep = options.plotStep === undefined ? info.horizon : expectNumber(options.plotStep, '--plot-step', { integer: true, min: 1, max: info.horizon });
    const result = evaluateModel(model, dataset, testStart);
    process.stdout.write(formatEvaluation(result) + '\n');
    const out = options.out ?? `${modelDir}/evaluation`;
    const files = await writeEvaluationReport(out, result, { plotStep: plotStep - 1, history: info.training.history });
    process.stdout.write(`\nwrote ${files.length} files to ${out} (report.txt, report.json, forecast-*.svg, graph-*.svg, loss.svg)\n`);
  } finally {
    model.dispose();
  }
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('Score a trained model beside persistence, moving-average and Holt baselines on held-out data; write tables and plots')
    .option('--model-name <name>', 'model name (the folder under models/ unless --model-save-path is given)', 'deepscaler')
    .option('--model-save-path <dir>', 'model folder to evaluate (default models/<model-name>)')
    .option('--data <path>', 'dataset: a folder of seed .log files, a collect folder, or a .jsonl file', 'data/boutique-30s')
    .option('--topology <file>', 'topology YAML, to derive cpu_cores from the cpu fraction when the data lacks it')
    .option('--step-seconds <s>', 'step of seed .log data (default: the model\'s step)')
    .option('--test-start <step>', 'first scored step (default: the model\'s held-out split)')
    .option('--plot-step <h>', 'horizon step drawn in the forecast plots, 1..H (default H)')
    .option('--out <dir>', 'report folder (default <model folder>/evaluation)')
    .action((options: EvaluateCliOptions) => runEvaluate(options));
}

/**
 * `deepscaler train`: fits the DeepScaler GNN on a dataset (in a worker thread, with a progress
 * bar) and writes the model folder atomically. Options follow the seed's `main.py`
 * (--model-config, --train-config, --model-name, --num-epoch, --num-iter, --model-save-path,
 * --max-graph-num) plus the data, the starting graph and a seed.
 */
import type { Command } from 'commander';
import { expectNumber, expectOneOf } from '../core/index.js';
import {
  GRAPH_MODES,
  parseModelConfig,
  parseTrainConfig,
  readConfigFile,
  type ModelConfig,
  type TrainConfig,
  loadTrainingData,
  trainInWorker,
  type WorkerTrainRequest,
  type WorkerTrainSummary,
} from '../model/index.js';
import { progressBar } from '../util/index.js';

export interface TrainCliOptions {
  readonly data: string;
  readonly topology?: string;
  readonly stepSeconds?: string;
  readonly modelConfig?: string;
  readonly trainConfig?: string;
  readonly modelName: string;
  readonly modelSavePath?: string;
  readonly numEpoch?: string;
  readonly numIter?: string;
  readonly maxGraphNum?: string;
  readonly seed?: string;
  readonly graphMode?: string;
}

const whole = { integer: true, min: 1 };

/** Config files first, then flags on top; every error names the file field or the flag. */
export function resolveConfigs(options: TrainCliOptions): { model: ModelConfig; train: TrainConfig } {
  let model = parseModelConfig(readConfigFile(options.modelConfig), options.modelConfig ?? 'model config');
  if (options.graphMode !== undefined) model = { ...model, graphMode: expectOneOf(options.graphMode, '--graph-mode', GRAPH_MODES) };
  let train = parseTrainConfig(readConfigFile(options.trainConfig), options.trainConfig ?? 'train config');
  const flags: [keyof TrainConfig, string | undefined, string, { integer: boolean; min: number }][] = [
    ['numEpoch', options.numEpoch, '--num-epoch', whole],
    ['numIter', options.numIter, '--num-iter', whole],
    ['maxGraphNum', options.maxGraphNum, '--max-graph-num', whole],
    ['seed', options.seed, '--seed', { integer: true, min: 0 }],
  ];
  for (const [key, value, flag, rule] of flags) if (value !== undefined) train = { ...train, [key]: expectNumber(value, flag, rule) };
  return { model, train };
}

export async function runTrain(options: TrainCliOptions, argv: readonly string[]): Promise<void> {
  const { model, train } = resolveConfigs(options);
  const stepSeconds = options.stepSeconds === undefined ? undefined : expectNumber(options.stepSeconds, '--step-seconds', { min: 0.001 });
  const data = loadTrainingData(options.data, { topology: options.topology, stepSeconds, required: model.targets });
  const saveDir = options.modelSavePath ?? `models/${options.modelName}`;
  const summary = await trainWithProgress(
    {
      dataset: data.dataset,
      callGraph: data.callGraph,
      modelConfig: model,
      trainConfig: train,
      saveDir,
      provenance: { modelName: options.modelName, data: options.data, graph: data.graphSource, command: `deepscaler ${argv.join(' ')}` },
    },
    `train ${options.modelName}`,
  );
  process.stdout.write(
    `saved ${saveDir}: ${data.dataset.services.length} services, ${summary.epochs} epochs in ${summary.seconds.toFixed(0)} s on ${summary.backend}, ` +
      `best validation L1 ${summary.bestValLoss.toFixed(4)} (standardized); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`,
  );
}

/**
 * Trains in the worker thread with a progress bar over every epoch of every iteration (predictor
 * epochs, then graph epochs when the graph is learned); `showProgress: false` trains silently.
 */
export async function trainWithProgress(request: WorkerTrainRequest, label: string, showProgress = true): Promise<WorkerTrainSummary> {
  const { modelConfig: model, trainConfig: train } = request;
  const epochsPerIteration = train.numEpoch + (model.graphMode === 'learned' ? train.graphEpochs : 0);
  const bar = showProgress ? progressBar(label, train.numIter * epochsPerIteration) : null;
  const summary = await trainInWorker(request, (p) => {
    const done = (p.iteration - 1) * epochsPerIteration + (p.phase === 'graph' ? train.numEpoch : 0) + p.epoch - 1;
    bar?.update(
      done,
      `iter ${p.iteration}/${p.numIter} ${p.phase} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)}${p.valLoss === null ? '' : ` val ${p.valLoss.toFixed(4)}`}`,
    );
  });
  bar?.finish(`best validation loss ${summary.bestValLoss.toFixed(4)}`);
  return summary;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train the DeepScaler GNN on a recorded dataset and save the model folder')
    .option('--data <path>', 'dataset: a folder of seed .log files, a collect folder, or a .jsonl file', 'data/boutique-30s')
    .option('--topology <file>', 'topology YAML: starting call graph and CPU limits (derives cpu_cores from the cpu fraction)')
    .option('--step-seconds <s>', 'step of seed .log data, which does not record it (default 30)')
    .option('--model-config <file>', 'model config (YAML/JSON): inputSteps, horizon, targets, sizes, graphMode, …')
    .option('--train-config <file>', 'train config (YAML/JSON): numEpoch, numIter, batchSize, learningRate, splits, …')
    .option('--model-name <name>', 'model name (also the default folder under models/)', 'deepscaler')
    .option('--model-save-path <dir>', 'model folder to write (default models/<model-name>)')
    .option('--num-epoch <n>', 'predictor epochs per iteration (overrides the train config)')
    .option('--num-iter <n>', 'alternating iterations (overrides the train config)')
    .option('--max-graph-num <n>', 'size of the graph pool (overrides the train config)')
    .option('--seed <n>', 'random seed (overrides the train config)')
    .option('--graph-mode <mode>', `graph to pass messages on: ${GRAPH_MODES.join(', ')} (overrides the model config)`)
    .action((options: TrainCliOptions) => runTrain(options, process.argv.slice(2)));
}

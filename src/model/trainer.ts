/**
 * The alternating ("EM-like") training of DeepScaler / AdapGL:
 *  (a) train the predictor with the graph fixed (L1 — plus, optionally, the pinball loss of the
 *      look-ahead peak — Adam with coupled weight decay as published, i.e. PyTorch's
 *      Adam(weight_decay): wd·θ added to the gradient; early stop after `patience` epochs without
 *      validation gain);
 *  (b) train the graph learner with the predictor fixed, loss = L1 + ReLU(new-edge share − δ)/δ;
 *  (c) add the learned graph to a pool of at most `maxGraphNum` graphs scored on validation,
 *      dropping the worst;
 *  (d) next graph = softmax(L_max − L_j)-weighted sum of the pool, sparsified and normalized
 *      (the newest graph in the last 20 % of iterations);
 *  (e) keep the predictor weights and graph with the best validation loss seen at any point.
 */
import type { CallGraph } from '../graph/index.js';
import { adjacencyMatrix } from '../graph/index.js';
import type { Dataset } from '../dataset/index.js';
import { selectFeatures } from '../dataset/derive.js';
import { tf, initBackend, type BackendName } from './backend.js';
import type { ModelConfig, TrainConfig } from './config.js';
import { GRAPH_PREFIX, initialGraph, newEdgePenalty, sparsifyGraph } from './graph-learner.js';
import { GnnNetwork, windowShape } from './network.js';
import { fitNormalization, standardize } from './normalization.js';
import { seededRandom } from './ops.js';
import { PREDICTOR_PREFIX } from './predictor.js';
import { buildBatch, chronologicalSplits, splitBounds, type SplitBounds } from './windows.js';

export type TrainPhase = 'predictor' | 'graph';

export interface TrainProgress {
  readonly iteration: number;
  readonly numIter: number;
  readonly phase: TrainPhase;
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  /** Mean training loss of the epoch so far (standardized L1). */
  readonly loss: number;
  /** Validation loss after the previous epoch; null before the first. */
  readonly valLoss: number | null;
}

export interface EpochRecord {
  readonly iteration: number;
  readonly phase: TrainPhase;
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
}

export interface TrainResult {
  /** The best checkpoint: predictor weights and graph with the lowest validation loss. */
  readonly network: GnnNetwork;
  /** The normalized starting graph (call graph + self-loops, or the identity). */
  readonly startGraph: Float32Array;
  readonly history: readonly EpochRecord[];
  readonly bestValLoss: number;
  readonly bounds: SplitBounds;
  readonly trainConfig: TrainConfig;
  readonly seconds: number;
  readonly backend: BackendName;
}

export type ProgressListener = (progress: TrainProgress) => void;

/** Validation batches need no gradients, so they can be larger. */
const EVAL_BATCH = 128;

function shuffled(items: readonly number[], random: () => number): number[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The normalized graph training starts from for a graph mode. */
export function startGraphFor(mode: ModelConfig['graphMode'], callGraph: CallGraph | null, services: readonly string[]): Float32Array {
  const n = services.length;
  const calls = mode === 'identity' || callGraph === null ? new Float32Array(n * n) : adjacencyMatrix(callGraph, services);
  return tf.tidy(() => initialGraph(calls, n).dataSync() as Float32Array);
}

/** Trains the network on a dataset; the result holds the best checkpoint (dispose its network). */
export async function trainModel(
  dataset: Dataset,
  callGraph: CallGraph | null,
  modelConfig: ModelConfig,
  trainConfig: TrainConfig,
  onProgress: ProgressListener = () => {},
): Promise<TrainResult> {
  const backend = await initBackend();
  const started = Date.now();
  const features = modelConfig.inputFeatures.length > 0 ? modelConfig.inputFeatures : dataset.features;
  const ds = selectFeatures(dataset, features);
  const bounds = splitBounds(ds.length, trainConfig.trainFraction, trainConfig.valFraction);
  const splits = chronologicalSplits(bounds, modelConfig.inputSteps, modelConfig.horizon);
  const normalization = fitNormalization(ds, bounds.trainEnd);
  const z = standardize(ds.values, normalization);
  const startGraph = startGraphFor(modelConfig.graphMode, callGraph, ds.services);
  const meta = { services: ds.services, features: ds.features, targets: modelConfig.targets, stepSeconds: ds.stepSeconds, config: modelConfig, normalization };
  const network = new GnnNetwork(meta, trainConfig.seed, startGraph);
  const shape = windowShape(meta);
  const random = seededRandom(trainConfig.seed + 1);

  const predictorVars = network.params.select(PREDICTOR_PREFIX);
  const graphVars = network.params.select(GRAPH_PREFIX);
  const predictorOptimizer = tf.train.adam(trainConfig.learningRate);
  const graphOptimizer = tf.train.adam(trainConfig.learningRate);

  const validationLoss = (graph: tf.Tensor2D): number => {
    let total = 0;
    let weight = 0;
    for (let i = 0; i < splits.val.length; i += EVAL_BATCH) {
      const batch = buildBatch(z, splits.val.slice(i, i + EVAL_BATCH), shape);
      const loss = tf.tidy(() => network.loss(batch, graph, trainConfig));
      total += loss.dataSync()[0]! * batch.size;
      weight += batch.size;
      loss.dispose();
    }
    return total / weight;
  };

  const epochBatches = (): number[][] => {
    const order = shuffled(splits.train, random);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += trainConfig.batchSize) batches.push(order.slice(i, i + trainConfig.batchSize));
    return trainConfig.maxBatchesPerEpoch > 0 ? batches.slice(0, trainConfig.maxBatchesPerEpoch) : batches;
  };

  const history: EpochRecord[] = [];

  /** One pass over the training windows; `lossOf` builds the loss to minimize for a batch. */
  const runEpoch = (
    where: Omit<TrainProgress, 'batch' | 'batches' | 'loss' | 'valLoss'>,
    optimizer: tf.Optimizer,
    vars: tf.Variable[],
    lossOf: (batch: ReturnType<typeof buildBatch>) => tf.Scalar,
    decay: number,
  ): number => {
    const batches = epochBatches();
    let total = 0;
    batches.forEach((origins, i) => {
      const batch = buildBatch(z, origins, shape);
      let data = 0;
      const loss = optimizer.minimize(
        () => {
          const fit = lossOf(batch);
          data = fit.dataSync()[0]!;
          // Coupled weight decay: (wd / 2)·Σθ² has gradient wd·θ, which Adam then scales like any other.
          return decay > 0 ? tf.add(fit, tf.mul(tf.addN(vars.map((v) => tf.sum(tf.square(v)))), decay / 2)) : fit;
        },
        true,
        vars,
      );
      loss!.dispose();
      total += data;
      onProgress({ ...where, batch: i + 1, batches: batches.length, loss: total / (i + 1), valLoss: history[history.length - 1]?.valLoss ?? null });
    });
    const mean = total / batches.length;
    if (!Number.isFinite(mean)) {
      throw new Error(`training diverged: the ${where.phase} loss is ${mean} in iteration ${where.iteration}, epoch ${where.epoch} (lower learningRate, or check the data for extreme values)`);
    }
    return mean;
  };

  let best = { valLoss: Infinity, weights: new Map<string, Float32Array>(), graph: startGraph };
  const checkpoint = (valLoss: number, graph: Float32Array): void => {
    if (valLoss >= best.valLoss) return;
    best = { valLoss, weights: new Map(network.params.entries().map(([name, v]) => [name, v.dataSync().slice() as Float32Array])), graph };
  };

  const pool: { graph: tf.Tensor2D; valLoss: number }[] = [];
  const learning = modelConfig.graphMode === 'learned';
  for (let iteration = 1; iteration <= trainConfig.numIter; iteration++) {
    // (a) predictor, graph fixed
    let stageBest = Infinity;
    let stale = 0;
    for (let epoch = 1; epoch <= trainConfig.numEpoch && stale < trainConfig.patience; epoch++) {
      const where = { iteration, numIter: trainConfig.numIter, phase: 'predictor' as const, epoch, epochs: trainConfig.numEpoch };
      const trainLoss = runEpoch(where, predictorOptimizer, predictorVars, (b) => network.loss(b, network.graph, trainConfig), trainConfig.weightDecay);
      const valLoss = validationLoss(network.graph);
      history.push({ iteration, phase: 'predictor', epoch, trainLoss, valLoss });
      checkpoint(valLoss, network.graphValues());
      if (valLoss < stageBest) [stageBest, stale] = [valLoss, 0];
      else stale++;
    }
    if (!learning || trainConfig.graphEpochs === 0) continue;

    // (b) graph learner, predictor fixed, new edges penalized against the current graph
    const current = tf.keep(tf.clone(network.graph));
    for (let epoch = 1; epoch <= trainConfig.graphEpochs; epoch++) {
      const where = { iteration, numIter: trainConfig.numIter, phase: 'graph' as const, epoch, epochs: trainConfig.graphEpochs };
      const trainLoss = runEpoch(where, graphOptimizer, graphVars, (b) => {
        const learned = network.learner.learn(current);
        return tf.add(network.loss(b, learned, trainConfig), newEdgePenalty(learned, current, trainConfig.newEdgeDelta));
      }, 0);
      const learned = network.learner.learn(current);
      const valLoss = validationLoss(learned);
      history.push({ iteration, phase: 'graph', epoch, trainLoss, valLoss });
      if (epoch === trainConfig.graphEpochs) {
        // (c) the pool keeps the best maxGraphNum graphs
        pool.push({ graph: tf.keep(learned), valLoss });
        pool.sort((a, b) => a.valLoss - b.valLoss);
        while (pool.length > trainConfig.maxGraphNum) pool.pop()!.graph.dispose();
        checkpoint(valLoss, learned.dataSync() as Float32Array);
      } else learned.dispose();
    }

    // (d) the next graph
    const newest = iteration > 0.8 * trainConfig.numIter;
    const next = tf.tidy(() => {
      if (newest) return network.learner.learn(current);
      const worst = Math.max(...pool.map((p) => p.valLoss));
      const weights = tf.softmax(tf.tensor1d(pool.map((p) => worst - p.valLoss)));
      const mixed = tf.addN(pool.map((p, j) => tf.mul(p.graph, tf.slice(weights, [j], [1]))));
      return sparsifyGraph(mixed as tf.Tensor2D, modelConfig.epsilonFactor);
    });
    network.setGraph(next);
    next.dispose();
    current.dispose();
  }

  // (e) restore the best checkpoint
  for (const [name, values] of best.weights) {
    const v = network.params.get(name);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
  network.setGraph(best.graph);
  for (const p of pool) p.graph.dispose();
  predictorOptimizer.dispose();
  graphOptimizer.dispose();
  return {
    network,
    startGraph,
    history,
    bestValLoss: best.valLoss,
    bounds,
    trainConfig,
    seconds: (Date.now() - started) / 1000,
    backend,
  };
}

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
import { type CallGraph, adjacencyMatrix } from '../graph/index.js';
import { type Dataset, selectFeatures } from '../dataset/index.js';
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

type Batch = ReturnType<typeof buildBatch>;
type Where = Omit<TrainProgress, 'batch' | 'batches' | 'loss' | 'valLoss'>;

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

/** What every stage of one training run reads and appends to. */
interface Run {
  readonly network: GnnNetwork;
  /** The standardized dataset values. */
  readonly z: Float32Array;
  readonly shape: ReturnType<typeof windowShape>;
  readonly splits: ReturnType<typeof chronologicalSplits>;
  readonly modelConfig: ModelConfig;
  readonly trainConfig: TrainConfig;
  readonly random: () => number;
  readonly predictorVars: tf.Variable[];
  readonly graphVars: tf.Variable[];
  readonly history: EpochRecord[];
  readonly best: BestCheckpoint;
  readonly onProgress: ProgressListener;
}

/** (e) The predictor weights and graph with the lowest validation loss seen at any point. */
class BestCheckpoint {
  valLoss = Infinity;
  private weights = new Map<string, Float32Array>();

  constructor(private graph: Float32Array) {}

  offer(valLoss: number, network: GnnNetwork, graph: Float32Array): void {
    if (valLoss >= this.valLoss) return;
    this.valLoss = valLoss;
    this.weights = new Map(network.params.entries().map(([name, v]) => [name, v.dataSync().slice() as Float32Array]));
    this.graph = graph;
  }

  restore(network: GnnNetwork): void {
    for (const [name, values] of this.weights) {
      const v = network.params.get(name);
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    }
    network.setGraph(this.graph);
  }
}

/** (c) The learned graphs scored on validation: at most `capacity`, the worst dropped. Owns its tensors. */
class GraphPool {
  private readonly graphs: { graph: tf.Tensor2D; valLoss: number }[] = [];

  constructor(private readonly capacity: number) {}

  add(graph: tf.Tensor2D, valLoss: number): void {
    this.graphs.push({ graph: tf.keep(graph), valLoss });
    this.graphs.sort((a, b) => a.valLoss - b.valLoss);
    while (this.graphs.length > this.capacity) this.graphs.pop()!.graph.dispose();
  }

  /** (d) softmax(L_max − L_j)-weighted sum of the pool, sparsified and normalized. */
  mix(epsilonFactor: number): tf.Tensor2D {
    return tf.tidy(() => {
      const worst = Math.max(...this.graphs.map((p) => p.valLoss));
      const weights = tf.softmax(tf.tensor1d(this.graphs.map((p) => worst - p.valLoss)));
      const mixed = tf.addN(this.graphs.map((p, j) => tf.mul(p.graph, tf.slice(weights, [j], [1]))));
      return sparsifyGraph(mixed as tf.Tensor2D, epsilonFactor);
    });
  }

  dispose(): void {
    for (const p of this.graphs.splice(0)) p.graph.dispose();
  }
}

function validationLoss(run: Run, graph: tf.Tensor2D): number {
  let total = 0;
  let weight = 0;
  for (let i = 0; i < run.splits.val.length; i += EVAL_BATCH) {
    const batch = buildBatch(run.z, run.splits.val.slice(i, i + EVAL_BATCH), run.shape);
    const loss = tf.tidy(() => run.network.loss(batch, graph, run.trainConfig));
    total += loss.dataSync()[0]! * batch.size;
    weight += batch.size;
    loss.dispose();
  }
  return total / weight;
}

function epochBatches(run: Run): number[][] {
  const { batchSize, maxBatchesPerEpoch } = run.trainConfig;
  const order = shuffled(run.splits.train, run.random);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return maxBatchesPerEpoch > 0 ? batches.slice(0, maxBatchesPerEpoch) : batches;
}

/** One pass over the training windows; `lossOf` builds the loss to minimize for a batch. Throws when the loss is no longer finite. */
function runEpoch(run: Run, where: Where, optimizer: tf.Optimizer, vars: tf.Variable[], lossOf: (batch: Batch) => tf.Scalar, decay: number): number {
  const batches = epochBatches(run);
  let total = 0;
  batches.forEach((origins, i) => {
    const batch = buildBatch(run.z, origins, run.shape);
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
    run.onProgress({ ...where, batch: i + 1, batches: batches.length, loss: total / (i + 1), valLoss: run.history[run.history.length - 1]?.valLoss ?? null });
  });
  const mean = total / batches.length;
  if (!Number.isFinite(mean)) {
    throw new Error(
      `training diverged: the ${where.phase} loss is ${mean} in iteration ${where.iteration}, epoch ${where.epoch} (lower learningRate, or check the data for extreme values)`,
    );
  }
  return mean;
}

/** (a) The predictor with the graph fixed, until `patience` epochs bring no validation gain. */
function trainPredictor(run: Run, iteration: number, optimizer: tf.Optimizer): void {
  const { network, trainConfig } = run;
  let stageBest = Infinity;
  let stale = 0;
  for (let epoch = 1; epoch <= trainConfig.numEpoch && stale < trainConfig.patience; epoch++) {
    const where = { iteration, numIter: trainConfig.numIter, phase: 'predictor' as const, epoch, epochs: trainConfig.numEpoch };
    const trainLoss = runEpoch(run, where, optimizer, run.predictorVars, (b) => network.loss(b, network.graph, trainConfig), trainConfig.weightDecay);
    const valLoss = validationLoss(run, network.graph);
    run.history.push({ iteration, phase: 'predictor', epoch, trainLoss, valLoss });
    run.best.offer(valLoss, network, network.graphValues());
    if (valLoss < stageBest) [stageBest, stale] = [valLoss, 0];
    else stale++;
  }
}

/** (b) The graph learner with the predictor fixed, new edges penalized against `current`; its last graph joins the pool. */
function trainGraph(run: Run, iteration: number, optimizer: tf.Optimizer, current: tf.Tensor2D, pool: GraphPool): void {
  const { network, trainConfig } = run;
  for (let epoch = 1; epoch <= trainConfig.graphEpochs; epoch++) {
    const where = { iteration, numIter: trainConfig.numIter, phase: 'graph' as const, epoch, epochs: trainConfig.graphEpochs };
    const trainLoss = runEpoch(
      run,
      where,
      optimizer,
      run.graphVars,
      (b) => {
        const learned = network.learner.learn(current);
        return tf.add(network.loss(b, learned, trainConfig), newEdgePenalty(learned, current, trainConfig.newEdgeDelta));
      },
      0,
    );
    const learned = network.learner.learn(current);
    let pooled = false;
    try {
      const valLoss = validationLoss(run, learned);
      run.history.push({ iteration, phase: 'graph', epoch, trainLoss, valLoss });
      if (epoch === trainConfig.graphEpochs) {
        pool.add(learned, valLoss);
        pooled = true;
        run.best.offer(valLoss, network, learned.dataSync() as Float32Array);
      }
    } finally {
      if (!pooled) learned.dispose();
    }
  }
}

/** (d) The graph the next iteration starts from: the pool's mix, or the newest graph in the last 20 % of iterations. */
function nextGraph(run: Run, iteration: number, current: tf.Tensor2D, pool: GraphPool): tf.Tensor2D {
  if (iteration > 0.8 * run.trainConfig.numIter) return tf.tidy(() => run.network.learner.learn(current));
  return pool.mix(run.modelConfig.epsilonFactor);
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
  const normalization = fitNormalization(ds, bounds.trainEnd);
  const startGraph = startGraphFor(modelConfig.graphMode, callGraph, ds.services);
  const meta = { services: ds.services, features: ds.features, targets: modelConfig.targets, stepSeconds: ds.stepSeconds, config: modelConfig, normalization };
  const network = new GnnNetwork(meta, trainConfig.seed, startGraph);
  const run: Run = {
    network,
    z: standardize(ds.values, normalization),
    shape: windowShape(meta),
    splits: chronologicalSplits(bounds, modelConfig.inputSteps, modelConfig.horizon),
    modelConfig,
    trainConfig,
    random: seededRandom(trainConfig.seed + 1),
    predictorVars: network.params.select(PREDICTOR_PREFIX),
    graphVars: network.params.select(GRAPH_PREFIX),
    history: [],
    best: new BestCheckpoint(startGraph),
    onProgress,
  };
  const predictorOptimizer = tf.train.adam(trainConfig.learningRate);
  const graphOptimizer = tf.train.adam(trainConfig.learningRate);
  const pool = new GraphPool(trainConfig.maxGraphNum);
  // Every tensor made here is released whatever happens; the network too when training fails.
  try {
    for (let iteration = 1; iteration <= trainConfig.numIter; iteration++) {
      trainPredictor(run, iteration, predictorOptimizer);
      if (modelConfig.graphMode !== 'learned' || trainConfig.graphEpochs === 0) continue;
      const current = tf.keep(tf.clone(network.graph));
      try {
        trainGraph(run, iteration, graphOptimizer, current, pool);
        const next = nextGraph(run, iteration, current, pool);
        network.setGraph(next);
        next.dispose();
      } finally {
        current.dispose();
      }
    }
    run.best.restore(network);
  } catch (err) {
    network.dispose();
    throw err;
  } finally {
    pool.dispose();
    predictorOptimizer.dispose();
    graphOptimizer.dispose();
  }
  return {
    network,
    startGraph,
    history: run.history,
    bestValLoss: run.best.valLoss,
    bounds,
    trainConfig,
    seconds: (Date.now() - started) / 1000,
    backend,
  };
}

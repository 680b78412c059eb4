/**
 * The whole DeepScaler network: the AdapGLA predictor, the graph learner and the graph currently
 * used for message passing, with the metadata that ties tensor positions to services and features.
 * Shared by training (trainer.ts), persistence and inference (forecaster.ts).
 */
import type { Feature } from '../core/index.js';
import { tf } from './backend.js';
import type { ModelConfig, TrainConfig } from './config.js';
import { maskedL1, peakPinball } from './losses.js';
import { GraphLearner } from './graph-learner.js';
import type { Normalization } from './normalization.js';
import { ParamStore } from './ops.js';
import { AdapGlaPredictor } from './predictor.js';
import type { Batch, WindowShape } from './windows.js';

export interface ModelMeta {
  readonly services: readonly string[];
  /** Input features, in the order of the last tensor axis. */
  readonly features: readonly Feature[];
  readonly targets: readonly Feature[];
  readonly stepSeconds: number;
  readonly config: ModelConfig;
  readonly normalization: Normalization;
}

/** What a model consumes and produces, as model.json and ModelInfo show it. */
export interface ModelSignature extends Pick<ModelMeta, 'services' | 'features' | 'targets' | 'stepSeconds'> {
  readonly inputSteps: number;
  readonly horizon: number;
}

export function modelSignature(meta: ModelMeta): ModelSignature {
  const { services, features, targets, stepSeconds, config } = meta;
  return { services, features, targets, stepSeconds, inputSteps: config.inputSteps, horizon: config.horizon };
}

/** What training minimizes (TrainConfig's peakQuantile/peakSteps); peakQuantile 0 = L1 only. */
export type LossObjective = Pick<TrainConfig, 'peakQuantile' | 'peakSteps'>;
export const L1_OBJECTIVE: LossObjective = { peakQuantile: 0, peakSteps: 1 };

export function windowShape(meta: ModelMeta): WindowShape {
  return {
    nodes: meta.services.length,
    features: meta.features.length,
    inputSteps: meta.config.inputSteps,
    horizon: meta.config.horizon,
    targetIndex: meta.targets.map((t) => meta.features.indexOf(t)),
  };
}

export class GnnNetwork {
  readonly params: ParamStore;
  readonly predictor: AdapGlaPredictor;
  readonly learner: GraphLearner;
  private graphTensor: tf.Tensor2D;

  constructor(
    readonly meta: ModelMeta,
    seed: number,
    graph: Float32Array,
  ) {
    const n = meta.services.length;
    const shape = windowShape(meta);
    if (shape.targetIndex.some((i) => i < 0)) {
      throw new Error(`targets ${meta.targets.join(', ')} must be among the input features ${meta.features.join(', ')}`);
    }
    this.params = new ParamStore(seed);
    this.predictor = new AdapGlaPredictor(this.params, n, meta.features.length, shape.targetIndex, meta.config);
    this.learner = new GraphLearner(this.params, n, meta.config.embeddingDim, meta.config.epsilonFactor);
    this.graphTensor = tf.tensor2d(graph, [n, n]);
  }

  get graph(): tf.Tensor2D {
    return this.graphTensor;
  }

  /** Replaces the message-passing graph (the network keeps its own copy). */
  setGraph(graph: tf.Tensor2D | Float32Array): void {
    const n = this.meta.services.length;
    const next = graph instanceof Float32Array ? tf.tensor2d(graph, [n, n]) : tf.keep(tf.clone(graph));
    this.graphTensor.dispose();
    this.graphTensor = next;
  }

  graphValues(): Float32Array {
    return this.graphTensor.dataSync() as Float32Array;
  }

  /** Standardized forecast [N, B, H, K] for a batch, on the given graph (default: the current one). */
  forward(batch: Batch, graph: tf.Tensor2D = this.graphTensor): tf.Tensor4D {
    const { nodes, inputSteps, features } = windowShape(this.meta);
    return tf.tidy(() => this.predictor.apply(graph, tf.tensor4d(batch.x, [nodes, batch.size, inputSteps, features])));
  }

  /**
   * The training objective on a batch (standardized units): L1 over the known targets, plus the
   * pinball loss of the look-ahead peak when `objective.peakQuantile` > 0.
   */
  loss(batch: Batch, graph: tf.Tensor2D = this.graphTensor, objective: LossObjective = L1_OBJECTIVE): tf.Scalar {
    return tf.tidy(() => {
      const { nodes, horizon, targetIndex } = windowShape(this.meta);
      const shape: [number, number, number, number] = [nodes, batch.size, horizon, targetIndex.length];
      const mask = tf.tensor4d(batch.mask, shape);
      const actual = tf.tensor4d(batch.y, shape);
      const predicted = this.forward(batch, graph);
      const l1 = maskedL1(predicted, actual, mask);
      if (objective.peakQuantile <= 0) return l1;
      return tf.add(l1, peakPinball(predicted, actual, mask, objective.peakQuantile, objective.peakSteps));
    });
  }

  dispose(): void {
    this.graphTensor.dispose();
    this.learner.dispose();
    this.params.dispose();
  }
}

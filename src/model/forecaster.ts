/**
 * The GNN as a Forecaster: a history window (any service/feature order) → each service's demand
 * for the next H steps in original units. Also exposes the learned graph and the model's metadata
 * for the serving loop, status pages and `evaluate`.
 */
import type { Forecast, Forecaster } from '../forecast/index.js';
import type { HistoryWindow } from '../history/index.js';
import { tf } from './backend.js';
import type { GraphMode } from './config.js';
import { modelSignature, windowShape, type ModelSignature } from './network.js';
import { standardize } from './normalization.js';
import type { LearnedGraph, SavedModel, TrainingMetadata } from './persistence.js';
import { buildBatch } from './windows.js';

export interface ModelInfo extends ModelSignature {
  readonly training: TrainingMetadata;
  /** The graph the predictor passes messages on (learned, call graph or identity). */
  readonly graphMode: GraphMode;
  /** Best validation loss of training (standardized; what graph modes and configs are chosen by). */
  readonly validationLoss: number;
}

export const GNN_FORECASTER_NAME = 'deepscaler-gnn';

/** Largest batch evaluated at once, to bound memory. */
const PREDICT_BATCH = 256;

export class GnnForecaster implements Forecaster {
  readonly name = GNN_FORECASTER_NAME;
  readonly info: ModelInfo;
  readonly graph: LearnedGraph;

  constructor(private readonly model: SavedModel) {
    this.graph = model.graph;
    this.info = { ...modelSignature(model.meta), training: model.training, graphMode: model.meta.config.graphMode, validationLoss: model.training.bestValLoss };
  }

  get inputSteps(): number {
    return this.info.inputSteps;
  }

  get horizon(): number {
    return this.info.horizon;
  }

  /**
   * Forecasts for many windows of one recording: `values` is [T, N, F] in the model's service and
   * feature order (original units, NaN = gap), `origins` the last input step of each window.
   * Returns [B, H, N, K] in original units, clamped at 0 (demand is never negative).
   */
  predictWindows(values: Float32Array, origins: readonly number[]): Float32Array {
    const shape = windowShape(this.model.meta);
    const { nodes: n, horizon: h, targetIndex } = shape;
    const k = targetIndex.length;
    const z = standardize(values, this.model.meta.normalization);
    const out = new Float32Array(origins.length * h * n * k);
    const { mean, std } = this.model.meta.normalization;
    const nf = shape.features;
    for (let start = 0; start < origins.length; start += PREDICT_BATCH) {
      const chunk = origins.slice(start, start + PREDICT_BATCH);
      const batch = buildBatch(z, chunk, shape);
      const predicted = tf.tidy(() => this.model.network.forward(batch));
      const y = predicted.dataSync(); // [N, B, H, K]
      predicted.dispose();
      const b = chunk.length;
      for (let s = 0; s < n; s++) {
        for (let bi = 0; bi < b; bi++) {
          for (let step = 0; step < h; step++) {
            for (let j = 0; j < k; j++) {
              const stat = s * nf + targetIndex[j]!;
              const value = y[((s * b + bi) * h + step) * k + j]! * std[stat]! + mean[stat]!;
              out[(((start + bi) * h + step) * n + s) * k + j] = Math.max(0, value);
            }
          }
        }
      }
    }
    return out;
  }

  async forecast(window: HistoryWindow): Promise<Forecast> {
    const { services, features, inputSteps, horizon, targets, stepSeconds } = this.info;
    const steps = window.timestamps.length;
    if (steps < inputSteps) throw new Error(`${this.name}: needs ${inputSteps} steps of history, got ${steps}`);
    if (window.stepSeconds !== stepSeconds) {
      throw new Error(`${this.name}: the model was trained on ${stepSeconds} s steps, the history has ${window.stepSeconds} s steps`);
    }
    const serviceAt = services.map((s) => window.services.indexOf(s));
    const featureAt = features.map((f) => window.features.indexOf(f));
    const missingServices = services.filter((_, i) => serviceAt[i]! < 0);
    const missingFeatures = features.filter((_, i) => featureAt[i]! < 0);
    if (missingServices.length > 0 || missingFeatures.length > 0) {
      throw new Error(
        `${this.name}: the history lacks what the model was trained on` +
          (missingServices.length > 0 ? `; services: ${missingServices.join(', ')}` : '') +
          (missingFeatures.length > 0 ? `; features: ${missingFeatures.join(', ')}` : ''),
      );
    }
    // Re-order the newest inputSteps frames into the model's [T, N, F] layout.
    const n = services.length;
    const nf = features.length;
    const values = new Float32Array(inputSteps * n * nf);
    const wn = window.services.length;
    const wf = window.features.length;
    for (let t = 0; t < inputSteps; t++) {
      const src = steps - inputSteps + t;
      for (let s = 0; s < n; s++) {
        for (let f = 0; f < nf; f++) values[(t * n + s) * nf + f] = window.values[(src * wn + serviceAt[s]!) * wf + featureAt[f]!]!;
      }
    }
    return {
      model: this.name,
      issuedAt: window.timestamps[steps - 1]!,
      stepSeconds,
      horizon,
      services,
      targets,
      values: this.predictWindows(values, [inputSteps - 1]),
    };
  }

  /** Frees the model's tensors (call when a reload replaces it). */
  dispose(): void {
    this.model.network.dispose();
  }
}

/**
 * The DeepScaler GNN: training, persistence and the Forecaster the serving loop uses.
 *
 *   loadGnnForecaster(dir)                 → GnnForecaster (Forecaster + learned graph + metadata)
 *   trainModel(dataset, graph, m, t, cb)   → TrainResult (in this process)
 *   trainInWorker(request, cb)             → trains and saves in a worker thread (wasm memory is
 *                                            returned when the worker exits)
 *   saveModel(dir, result, provenance)     → one folder, written atomically
 */
import { initBackend } from './backend.js';
import { GnnForecaster } from './forecaster.js';
import { loadModel } from './persistence.js';

export { initBackend, type BackendName } from './backend.js';
export { GnnForecaster, GNN_FORECASTER_NAME, type ModelInfo } from './forecaster.js';
export { saveModel, loadModel, type LearnedGraph, type TrainingMetadata } from './persistence.js';
export { trainModel, type TrainProgress, type TrainResult, type EpochRecord, type ProgressListener } from './trainer.js';
export { trainInWorker, type WorkerTrainRequest, type WorkerTrainSummary } from './train-in-worker.js';
export {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  parseModelConfig,
  parseTrainConfig,
  readConfigFile,
  type ModelConfig,
  type TrainConfig,
} from './config.js';

/**
 * Loads a saved model folder as a Forecaster. Throws (ConfigError) with the file and field at
 * fault when the folder is missing, corrupt or inconsistent; the caller keeps its previous model.
 */
export async function loadGnnForecaster(modelDir: string): Promise<GnnForecaster> {
  await initBackend();
  return new GnnForecaster(loadModel(modelDir));
}

export { GRAPH_MODES } from './config.js';
export { alignDataset, evaluateModel, type DecisionSettings, type ErrorStats, type EvaluationResult, type TuningData } from './evaluation.js';
export {
  DATA,
  judge,
  LIVE,
  liveVersion,
  newVersion,
  promote,
  prune,
  readDecisionBeside,
  recordDecision,
  summarizeScores,
  VERSIONS,
  type ModelScore,
  type RetrainDecision,
  type Scored,
} from './lifecycle.js';
export { loadTrainingData } from './training-data.js';
export { splitBounds } from './windows.js';

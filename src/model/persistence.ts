/**
 * One folder per model, written atomically (writeDirAtomic):
 *   model.json   services, features, targets, step, window sizes, config, normalization statistics,
 *                weight layout and training metadata
 *   weights.bin  every parameter as little-endian float32, in the order model.json lists them
 *   graph.json   the learned graph (what the predictor passes messages on) and the starting graph
 * Loading checks every part against the others and fails with a message that names the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Feature, ALL_FEATURES, ConfigError, expectArray, expectNumber, expectObject, expectOneOf, expectString } from '../core/index.js';
import { writeDirAtomic } from '../util/index.js';
import { tf } from './backend.js';
import { parseModelConfig, type ModelConfig } from './config.js';
import { GnnNetwork, modelSignature, type ModelMeta } from './network.js';
import type { EpochRecord, TrainResult } from './trainer.js';

export const MODEL_FORMAT = 'deepscaler-gnn';
export const MODEL_FORMAT_VERSION = 1;

/** Facts about how a model was trained, stored in model.json and shown by `evaluate`. */
export interface TrainingMetadata {
  readonly createdAt: string;
  readonly backend: string;
  readonly seconds: number;
  readonly bestValLoss: number;
  /** Steps [0, trainEnd) trained on, [trainEnd, valEnd) validated on, [valEnd, length) held out. */
  readonly split: { readonly trainEnd: number; readonly valEnd: number; readonly length: number };
  readonly trainConfig: Readonly<Record<string, number>>;
  readonly history: readonly EpochRecord[];
  /** Free-form provenance: the dataset, the command line, the model name. */
  readonly provenance: Readonly<Record<string, string>>;
}

export interface LearnedGraph {
  readonly services: readonly string[];
  /** Row-major N×N, A[i·N + j] = weight of i → j (normalized, sparsified). */
  readonly adjacency: Float32Array;
  /** The normalized graph training started from (call graph + self-loops, or identity). */
  readonly start: Float32Array;
}

export interface SavedModel {
  readonly meta: ModelMeta;
  readonly training: TrainingMetadata;
  readonly graph: LearnedGraph;
  readonly network: GnnNetwork;
}

interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
}

function rows(matrix: Float32Array, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(matrix.subarray(i * n, (i + 1) * n)));
}

/** Writes the trained model's folder in one atomic step (a reader sees the old or the new model). */
export async function saveModel(dir: string, result: TrainResult, provenance: Record<string, string> = {}): Promise<void> {
  const { network } = result;
  const meta = network.meta;
  const entries = network.params.entries();
  const specs: WeightSpec[] = entries.map(([name, v]) => ({ name, shape: v.shape }));
  const total = entries.reduce((sum, [, v]) => sum + v.size, 0);
  const weights = new Float32Array(total);
  let offset = 0;
  for (const [, v] of entries) {
    weights.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const n = meta.services.length;
  const training: TrainingMetadata = {
    createdAt: new Date().toISOString(),
    backend: result.backend,
    seconds: result.seconds,
    bestValLoss: result.bestValLoss,
    split: result.bounds,
    trainConfig: { ...result.trainConfig },
    history: result.history,
    provenance,
  };
  const model = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    ...modelSignature(meta),
    config: meta.config,
    normalization: { mean: Array.from(meta.normalization.mean), std: Array.from(meta.normalization.std) },
    weights: specs,
    weightsSha256: createHash('sha256').update(bytes).digest('hex'),
    training,
  };
  const graph = { services: meta.services, adjacency: rows(network.graphValues(), n), start: rows(result.startGraph, n) };
  await writeDirAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(model, null, 1) + '\n');
    writeFileSync(join(tmp, 'weights.bin'), bytes);
    writeFileSync(join(tmp, 'graph.json'), JSON.stringify(graph) + '\n');
  });
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError(`${path} is missing (is the folder a model saved by \`deepscaler train\`?)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path} is corrupt: ${(err as Error).message}`);
  }
}

function numberList(value: unknown, path: string, length: number): Float32Array {
  const list = expectArray(value, path);
  if (list.length !== length) throw new ConfigError(`${path}: expected ${length} numbers, got ${list.length}`);
  return Float32Array.from(list, (v, i) => expectNumber(v, `${path}[${i}]`));
}

function matrix(value: unknown, path: string, n: number): Float32Array {
  const list = expectArray(value, path);
  if (list.length !== n) throw new ConfigError(`${path}: expected ${n} rows, got ${list.length}`);
  const out = new Float32Array(n * n);
  list.forEach((row, i) => out.set(numberList(row, `${path}[${i}]`, n), i * n));
  return out;
}

/** The parts of the training metadata that `evaluate` and status pages rely on are checked. */
function parseTraining(value: unknown, path: string): TrainingMetadata {
  const obj = expectObject(value, path);
  const split = expectObject(obj['split'], `${path}.split`);
  for (const key of ['trainEnd', 'valEnd', 'length']) expectNumber(split[key], `${path}.split.${key}`, { integer: true, min: 0 });
  const trainConfig = expectObject(obj['trainConfig'], `${path}.trainConfig`);
  for (const key of ['trainFraction', 'valFraction']) expectNumber(trainConfig[key], `${path}.trainConfig.${key}`, { min: 0, max: 1 });
  expectArray(obj['history'], `${path}.history`);
  return obj as unknown as TrainingMetadata;
}

/** Reads and checks a model folder; throws a ConfigError naming the file and field on any mismatch. */
export function loadModel(dir: string): SavedModel {
  const modelPath = join(dir, 'model.json');
  const root = expectObject(readJson(modelPath), modelPath);
  const format = root['format'];
  if (format !== MODEL_FORMAT) throw new ConfigError(`${modelPath}: format: expected "${MODEL_FORMAT}", got ${JSON.stringify(format)}`);
  expectNumber(root['formatVersion'], `${modelPath}: formatVersion`, { min: MODEL_FORMAT_VERSION, max: MODEL_FORMAT_VERSION });
  const services = expectArray(root['services'], `${modelPath}: services`).map((s, i) => expectString(s, `${modelPath}: services[${i}]`));
  const featureList = (key: string): Feature[] =>
    expectArray(root[key], `${modelPath}: ${key}`).map((f, i) => expectOneOf(f, `${modelPath}: ${key}[${i}]`, ALL_FEATURES));
  const features = featureList('features');
  const targets = featureList('targets');
  const config: ModelConfig = parseModelConfig(root['config'], `${modelPath}: config`);
  for (const key of ['inputSteps', 'horizon'] as const) {
    if (root[key] !== config[key]) throw new ConfigError(`${modelPath}: ${key}: ${String(root[key])} disagrees with config.${key} = ${config[key]}`);
  }
  const stepSeconds = expectNumber(root['stepSeconds'], `${modelPath}: stepSeconds`, { min: 0.001 });
  const norm = expectObject(root['normalization'], `${modelPath}: normalization`);
  const size = services.length * features.length;
  const normalization = {
    mean: numberList(norm['mean'], `${modelPath}: normalization.mean`, size),
    std: numberList(norm['std'], `${modelPath}: normalization.std`, size),
  };
  if (normalization.std.some((s) => !(s > 0))) throw new ConfigError(`${modelPath}: normalization.std: every value must be > 0`);
  const training = parseTraining(root['training'], `${modelPath}: training`);
  const specs = expectArray(root['weights'], `${modelPath}: weights`).map((w, i) => {
    const spec = expectObject(w, `${modelPath}: weights[${i}]`);
    const shape = expectArray(spec['shape'], `${modelPath}: weights[${i}].shape`).map((d, j) =>
      expectNumber(d, `${modelPath}: weights[${i}].shape[${j}]`, { integer: true, min: 1 }),
    );
    return { name: expectString(spec['name'], `${modelPath}: weights[${i}].name`), shape };
  });

  const graphPath = join(dir, 'graph.json');
  const graphRoot = expectObject(readJson(graphPath), graphPath);
  const graphServices = expectArray(graphRoot['services'], `${graphPath}: services`);
  if (JSON.stringify(graphServices) !== JSON.stringify(services)) {
    throw new ConfigError(`${graphPath}: services: do not match model.json's services (${services.join(', ')})`);
  }
  const n = services.length;
  const graph: LearnedGraph = {
    services,
    adjacency: matrix(graphRoot['adjacency'], `${graphPath}: adjacency`, n),
    start: matrix(graphRoot['start'], `${graphPath}: start`, n),
  };

  const weightsPath = join(dir, 'weights.bin');
  if (!existsSync(weightsPath)) throw new ConfigError(`${weightsPath} is missing`);
  const bytes = readFileSync(weightsPath);
  const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0) * 4;
  if (bytes.byteLength !== expected) {
    throw new ConfigError(`${weightsPath}: has ${bytes.byteLength} bytes, model.json's weights need ${expected} (truncated or from another model)`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== root['weightsSha256']) throw new ConfigError(`${weightsPath}: checksum does not match model.json's weightsSha256 (the file is corrupt)`);
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

  const meta: ModelMeta = { services, features, targets, stepSeconds, config, normalization };
  const network = new GnnNetwork(meta, 0, graph.adjacency);
  try {
    const created = new Map(network.params.entries());
    if (created.size !== specs.length) {
      throw new ConfigError(`${modelPath}: weights: lists ${specs.length} tensors, the configured network has ${created.size}`);
    }
    let offset = 0;
    for (const spec of specs) {
      const v = created.get(spec.name);
      if (!v) throw new ConfigError(`${modelPath}: weights: "${spec.name}" is not a weight of the configured network`);
      if (JSON.stringify(v.shape) !== JSON.stringify(spec.shape)) {
        throw new ConfigError(`${modelPath}: weights: "${spec.name}" has shape [${spec.shape}], the network expects [${v.shape}]`);
      }
      const size = v.size;
      tf.tidy(() => v.assign(tf.tensor(weights.subarray(offset, offset + size), v.shape)));
      offset += size;
    }
  } catch (err) {
    network.dispose();
    throw err;
  }
  return { meta, training, graph, network };
}

import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, type ModelConfig, type TrainConfig } from '../../../src/model/config.js';
import { loadGnnForecaster, saveModel, trainInWorker, trainModel, type TrainProgress, type TrainResult } from '../../../src/model/index.js';
import { tf } from '../../../src/model/backend.js';
import { windowShape } from '../../../src/model/network.js';
import { standardize } from '../../../src/model/normalization.js';
import { buildBatch, chronologicalSplits } from '../../../src/model/windows.js';
import type { HistoryWindow } from '../../../src/history/index.js';
import { chainDataset } from './synthetic.js';

const tinyModel: ModelConfig = { ...DEFAULT_MODEL_CONFIG, inputSteps: 8, horizon: 3, blocks: 1, chebChannels: 4, timeChannels: 8, embeddingDim: 4 };
const tinyTrain: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, numEpoch: 4, numIter: 2, batchSize: 16, learningRate: 5e-3, seed: 11 };

describe('model training and persistence (tiny end-to-end)', function () {
  this.timeout(120_000);
  const { dataset, callGraph } = chainDataset();
  let result: TrainResult;
  const progress: TrainProgress[] = [];
  let dir: string;

  before(async () => {
    result = await trainModel(dataset, callGraph, tinyModel, tinyTrain, (p) => progress.push(p));
    dir = join(mkdtempSync(join(tmpdir(), 'gnn-')), 'model');
    await saveModel(dir, result, { dataset: 'synthetic chain' });
  });

  after(() => {
    result.network.dispose();
  });

  it('a run that diverges throws and releases every tensor it made, the network included', async () => {
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      await trainModel(dataset, callGraph, tinyModel, { ...tinyTrain, learningRate: 1e30 });
    } catch (err) {
      error = err;
    }
    expect((error as Error | null)?.message).to.match(/^training diverged/);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('the training loss falls over the first predictor stage', () => {
    const first = result.history.filter((r) => r.phase === 'predictor' && r.iteration === 1);
    expect(first.length).to.be.greaterThan(1);
    expect(first[first.length - 1]!.trainLoss).to.be.lessThan(first[0]!.trainLoss * 0.9);
  });

  it('alternates predictor and graph stages and reports iteration, epoch and loss', () => {
    expect(result.history.map((r) => r.phase)).to.include.members(['predictor', 'graph']);
    const graphStage = progress.find((p) => p.phase === 'graph');
    expect(graphStage).to.include({ numIter: 2, epochs: 1 });
    expect(progress.every((p) => Number.isFinite(p.loss) && p.batch <= p.batches)).to.equal(true);
  });

  it('returns the weights and graph of the checkpoint with the best validation loss, not the last ones', () => {
    const losses = result.history.map((r) => r.valLoss);
    expect(result.bestValLoss).to.equal(Math.min(...losses));
    // Only meaningful when training went on past its best epoch (so the last weights differ).
    expect(losses.indexOf(result.bestValLoss)).to.be.lessThan(losses.length - 1);
    // The returned network, scored on the validation windows the trainer used, has that loss.
    const { network } = result;
    const splits = chronologicalSplits(result.bounds, tinyModel.inputSteps, tinyModel.horizon);
    const z = standardize(dataset.values, network.meta.normalization);
    let total = 0;
    for (let i = 0; i < splits.val.length; i += 128) {
      const batch = buildBatch(z, splits.val.slice(i, i + 128), windowShape(network.meta));
      total += tf.tidy(() => network.loss(batch).dataSync()[0]!) * batch.size;
    }
    expect(total / splits.val.length).to.be.closeTo(result.bestValLoss, 1e-6 * result.bestValLoss);
  });

  it('reloading a saved model gives identical predictions and the same learned graph', async () => {
    const loaded = await loadGnnForecaster(dir);
    const shape = windowShape(result.network.meta);
    const z = standardize(dataset.values, result.network.meta.normalization);
    const batch = buildBatch(z, [20, 100, 250], shape);
    const before = tf.tidy(() => result.network.forward(batch).dataSync());
    const after = Array.from(loaded.predictWindows(dataset.values, [20, 100, 250]));
    // predictWindows de-standardizes and clamps; compare in standardized space via the same path.
    const direct = tf.tidy(() => (loaded as unknown as { model: { network: typeof result.network } }).model.network.forward(batch).dataSync());
    expect(Array.from(direct)).to.deep.equal(Array.from(before));
    expect(after.every(Number.isFinite)).to.equal(true);
    expect(Array.from(loaded.graph.adjacency)).to.deep.equal(Array.from(result.network.graphValues()));
    expect(loaded.info).to.include({ inputSteps: 8, horizon: 3, stepSeconds: 30 });
    loaded.dispose();
  });

  it('forecasts from a history window in original units, whatever its service order', async () => {
    const loaded = await loadGnnForecaster(dir);
    const t0 = 200;
    const n = dataset.services.length;
    const steps = tinyModel.inputSteps;
    // The same window with services listed in reverse order.
    const reversed = [...dataset.services].reverse();
    const values = new Float32Array(steps * n * 2);
    for (let t = 0; t < steps; t++) {
      for (let s = 0; s < n; s++) {
        for (let f = 0; f < 2; f++) values[(t * n + s) * 2 + f] = dataset.values[((t0 - steps + 1 + t) * n + (n - 1 - s)) * 2 + f]!;
      }
    }
    const window: HistoryWindow = {
      services: reversed,
      features: dataset.features,
      stepSeconds: 30,
      timestamps: Float64Array.from({ length: steps }, (_, i) => i * 30_000),
      values,
    };
    const fc = await loaded.forecast(window);
    expect(fc.services).to.deep.equal(dataset.services);
    expect(fc.targets).to.deep.equal(['cpu_cores', 'req']);
    expect(Array.from(fc.values)).to.deep.equal(Array.from(loaded.predictWindows(dataset.values, [t0])));
    // Demand of the loudest service is in requests/s, not standardized units.
    expect(fc.values[(0 * n + 3) * 2 + 1]).to.be.greaterThan(20);
    loaded.dispose();
  });

  it('two copies of a model can be live at once (a reload keeps the old one until the new one loads)', async () => {
    const first = await loadGnnForecaster(dir);
    const second = await loadGnnForecaster(dir);
    expect(Array.from(second.predictWindows(dataset.values, [50]))).to.deep.equal(Array.from(first.predictWindows(dataset.values, [50])));
    first.dispose();
    second.dispose();
  });

  it('refuses a history that lacks a service or feature the model needs, naming it', async () => {
    const loaded = await loadGnnForecaster(dir);
    const window: HistoryWindow = { services: ['svc0'], features: ['req'], stepSeconds: 30, timestamps: new Float64Array(8), values: new Float32Array(8) };
    await loaded.forecast(window).then(
      () => expect.fail('forecast should have thrown'),
      (err: Error) => expect(err.message).to.match(/services: svc1, svc2, svc3; features: cpu_cores/),
    );
    loaded.dispose();
  });

  it('a corrupt or mismatched model folder fails with a message naming the file', async () => {
    const broken = (name: string, damage: (d: string) => void): string => {
      const copy = join(mkdtempSync(join(tmpdir(), 'gnn-bad-')), name);
      cpSync(dir, copy, { recursive: true });
      damage(copy);
      return copy;
    };
    const cases: [string, (d: string) => void, RegExp][] = [
      ['truncated', (d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 100)), /weights\.bin: has 100 bytes/],
      [
        'flipped',
        (d) => {
          const b = readFileSync(join(d, 'weights.bin'));
          b[10] = b[10]! ^ 0xff;
          writeFileSync(join(d, 'weights.bin'), b);
        },
        /checksum/,
      ],
      ['json', (d) => writeFileSync(join(d, 'model.json'), '{"format": '), /model\.json is corrupt/],
      ['missing', (d) => rmSync(join(d, 'graph.json')), /graph\.json is missing/],
      [
        'services',
        (d) => {
          const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
          m.services = ['a', 'b', 'c', 'd'];
          writeFileSync(join(d, 'model.json'), JSON.stringify(m));
        },
        /graph\.json: services/,
      ],
      [
        'training',
        (d) => {
          const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
          delete m.training.split;
          writeFileSync(join(d, 'model.json'), JSON.stringify(m));
        },
        /training\.split: expected an object/,
      ],
      [
        'config',
        (d) => {
          const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
          m.config.timeChannels = 9;
          writeFileSync(join(d, 'model.json'), JSON.stringify(m));
        },
        /has shape .* expects/,
      ],
    ];
    for (const [name, damage, message] of cases) {
      await loadGnnForecaster(broken(name, damage)).then(
        () => expect.fail(`${name}: load should have failed`),
        (err: Error) => expect(err.message, name).to.match(message),
      );
    }
  });

  it('the same seed gives the same weights; another seed other weights', async () => {
    const quick = { ...tinyTrain, numEpoch: 1, numIter: 1, maxBatchesPerEpoch: 2 };
    const weights = async (seed: number): Promise<number[]> => {
      const run = await trainModel(dataset, callGraph, tinyModel, { ...quick, seed });
      const values = run.network.params.entries().flatMap(([, v]) => Array.from(v.dataSync()));
      run.network.dispose();
      return values;
    };
    const first = await weights(5);
    expect(await weights(5)).to.deep.equal(first);
    expect(await weights(6)).to.not.deep.equal(first);
  });

  it('trains and saves in a worker thread, reporting progress', async () => {
    const workerDir = join(mkdtempSync(join(tmpdir(), 'gnn-worker-')), 'model');
    const seen: TrainProgress[] = [];
    const summary = await trainInWorker(
      { dataset, callGraph, modelConfig: tinyModel, trainConfig: { ...tinyTrain, numEpoch: 1, numIter: 1, maxBatchesPerEpoch: 3 }, saveDir: workerDir },
      (p) => seen.push(p),
    );
    expect(summary.epochs).to.equal(2); // one predictor epoch, one graph epoch
    expect(seen.length).to.be.greaterThan(0);
    const loaded = await loadGnnForecaster(workerDir);
    expect(loaded.info.services).to.deep.equal(dataset.services);
    loaded.dispose();
  });
});

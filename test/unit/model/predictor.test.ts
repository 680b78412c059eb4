import { expect } from 'chai';
import { initBackend, tf } from '../../../src/model/backend.js';
import { DEFAULT_MODEL_CONFIG } from '../../../src/model/config.js';
import { ParamStore } from '../../../src/model/ops.js';
import { AdapGlaPredictor } from '../../../src/model/predictor.js';

const config = { ...DEFAULT_MODEL_CONFIG, inputSteps: 6, horizon: 4, blocks: 2, chebChannels: 3, timeChannels: 5, embeddingDim: 2 };

describe('model/predictor (AdapGLA)', () => {
  before(async () => {
    await initBackend();
  });

  it('maps [N, B, T_in, F] to [N, B, H, K]', () => {
    const params = new ParamStore(1);
    const predictor = new AdapGlaPredictor(params, 3, 2, [1, 0], config);
    const y = tf.tidy(() => predictor.apply(tf.eye(3) as tf.Tensor2D, tf.randomNormal([3, 5, 6, 2], 0, 1, 'float32', 2) as tf.Tensor4D));
    expect(y.shape).to.deep.equal([3, 5, 4, 2]);
    params.dispose();
  });

  it('with centerWindow, shifting every input by c shifts the forecast by exactly c', () => {
    const params = new ParamStore(1);
    const predictor = new AdapGlaPredictor(params, 3, 2, [1, 0], { ...config, centerWindow: true });
    const graph = tf.eye(3) as tf.Tensor2D;
    const x = tf.randomNormal([3, 2, 6, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const base = tf.tidy(() => predictor.apply(graph, x).dataSync());
    const shifted = tf.tidy(() => predictor.apply(graph, tf.add(x, 3) as tf.Tensor4D).dataSync());
    base.forEach((v, i) => expect(shifted[i]! - v).to.be.closeTo(3, 1e-4));
    params.dispose();
  });

  it('without the autoregressive highway it has no ar weights, with it one per target started at persistence', () => {
    const without = new ParamStore(1);
    new AdapGlaPredictor(without, 3, 2, [1, 0], { ...config, autoregressive: false });
    expect(without.entries().some(([name]) => name.includes('/ar'))).to.equal(false);
    const withAr = new ParamStore(1);
    new AdapGlaPredictor(withAr, 3, 2, [1, 0], config);
    const ar = withAr.get('predictor/readout/ar0').dataSync();
    expect(Array.from(ar.slice(5 * 4))).to.deep.equal([1, 1, 1, 1]); // newest step → every horizon
    expect(Array.from(ar.slice(0, 5 * 4)).every((v) => v === 0)).to.equal(true);
    without.dispose();
    withAr.dispose();
  });

  it('the linear skip path starts at zero (no change to the forecast) and reads every own feature', () => {
    const withSkip = new ParamStore(1);
    const skipped = new AdapGlaPredictor(withSkip, 3, 2, [1, 0], { ...config, linearSkip: true });
    const plain = new ParamStore(1);
    const baseline = new AdapGlaPredictor(plain, 3, 2, [1, 0], config);
    const skip = withSkip.get('predictor/readout/skip');
    expect(skip.shape).to.deep.equal([6 * 2, 4 * 2]);
    const graph = tf.eye(3) as tf.Tensor2D;
    const x = tf.randomNormal([3, 2, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const a = tf.tidy(() => skipped.apply(graph, x).dataSync());
    const b = tf.tidy(() => baseline.apply(graph, x).dataSync());
    a.forEach((v, i) => expect(v).to.be.closeTo(b[i]!, 1e-6));
    // Weight 1 from feature 0 (not a target's own series) at the newest step to output (h 0, k 0): the forecast moves by that input.
    const w = new Float32Array(6 * 2 * 4 * 2);
    w[(5 * 2 + 0) * 8 + 0] = 1;
    skip.assign(tf.tensor2d(w, [12, 8]));
    const c = tf.tidy(() => skipped.apply(graph, x).dataSync());
    const xs = x.dataSync();
    for (let n = 0; n < 3; n++)
      for (let bb = 0; bb < 2; bb++)
        expect(c[((n * 2 + bb) * 4 + 0) * 2 + 0]! - b[((n * 2 + bb) * 4 + 0) * 2 + 0]!).to.be.closeTo(xs[((n * 2 + bb) * 6 + 5) * 2 + 0]!, 1e-5);
    withSkip.dispose();
    plain.dispose();
  });
});

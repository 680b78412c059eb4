import { expect } from 'chai';
import { initBackend, tf } from '../../../src/model/backend.js';
import { ChebConv, chebyshevTerms } from '../../../src/model/layers/cheb-conv.js';
import { LayerNorm } from '../../../src/model/layers/layer-norm.js';
import { TemporalAttention } from '../../../src/model/layers/temporal-attention.js';
import { timeShifts } from '../../../src/model/layers/temporal-conv.js';
import { ParamStore, matMul2d } from '../../../src/model/ops.js';

describe('model/layers', () => {
  before(async () => {
    await initBackend();
  });

  it('Chebyshev terms are T0 = X, T1 = A·X, T2 = 2·A·T1 − X over the node axis', () => {
    const a = [0, 1, 0.5, 0]; // 2 nodes
    const x = [1, 2, 3, 4, 5, 6]; // [N=2, B=1, T=3, C=1]
    const [t0, t1, t2] = tf.tidy(() => chebyshevTerms(tf.tensor2d(a, [2, 2]), tf.tensor4d(x, [2, 1, 3, 1])).map((t) => Array.from(t.dataSync())));
    // (A·X)[i, t] = Σ_j A[i, j] · X[j, t]
    const ax = (v: number[]): number[] => [0, 1].flatMap((i) => [0, 1, 2].map((t) => a[2 * i]! * v[t]! + a[2 * i + 1]! * v[3 + t]!));
    expect(t0).to.deep.equal(x);
    expect(t1).to.deep.equal(ax(x));
    t2!.forEach((v, i) => expect(v).to.be.closeTo(2 * ax(ax(x))[i]! - x[i]!, 1e-5));
  });

  it('the graph convolution outputs 2·G channels and mixes nodes only along graph edges', () => {
    const params = new ParamStore(1);
    const conv = new ChebConv(params, 'c', 1, 3);
    const x = tf.tensor4d([1, 2, 0, 0], [2, 1, 2, 1]); // node 1 is silent
    const isolated = tf.tidy(() => conv.apply(tf.eye(2) as tf.Tensor2D, x));
    expect(isolated.shape).to.deep.equal([2, 1, 2, 6]);
    // With no edges, the silent node's output is ReLU(bias) = 0 everywhere.
    expect(Array.from(isolated.dataSync().slice(12))).to.deep.equal(new Array(12).fill(0));
    const linked = tf.tidy(() => conv.apply(tf.tensor2d([1, 0, 1, 1], [2, 2]), x));
    expect(Array.from(linked.dataSync().slice(12)).some((v) => v !== 0)).to.equal(true);
    params.dispose();
  });

  it('time shifts stack x[t − 1], x[t], x[t + 1] on channels, zero outside the window', () => {
    const got = Array.from(tf.tidy(() => timeShifts(tf.tensor4d([1, 2, 3], [1, 1, 3, 1]), 3).dataSync()));
    expect(got).to.deep.equal([0, 1, 2, 1, 2, 3, 2, 3, 0]);
  });

  it('temporal attention weights are per-sample T×T matrices whose columns sum to 1', () => {
    const params = new ParamStore(2);
    const attention = new TemporalAttention(params, 'a', 3, 4, 2);
    const e = tf.tidy(() => attention.weights(tf.randomNormal([3, 5, 4, 2], 0, 1, 'float32', 1) as tf.Tensor4D));
    expect(e.shape).to.deep.equal([5, 4, 4]);
    const sums = tf.tidy(() => tf.sum(e, 1).dataSync());
    for (const s of sums) expect(s).to.be.closeTo(1, 1e-5);
    params.dispose();
  });

  it('layer norm gives each position zero mean and unit variance over channels', () => {
    const params = new ParamStore(3);
    const norm = new LayerNorm(params, 'n', 4);
    const y = tf.tidy(() => norm.apply(tf.tensor2d([1, 2, 3, 4, 10, 0, 10, 0], [2, 4])));
    const { mean, variance } = tf.moments(y, 1);
    mean.dataSync().forEach((m) => expect(m).to.be.closeTo(0, 1e-5));
    variance.dataSync().forEach((v) => expect(v).to.be.closeTo(1, 1e-3));
    params.dispose();
  });

  it('matMul2d multiplies and its explicit-transpose gradient matches tf.matMul', () => {
    const a = tf.randomNormal([3, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const b = tf.randomNormal([4, 2], 0, 1, 'float32', 6) as tf.Tensor2D;
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(matMul2d(x, y))))([a, b]);
    const reference = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D))))([a, b]);
    ours.forEach((g, i) => g.dataSync().forEach((v, k) => expect(v).to.be.closeTo(reference[i]!.dataSync()[k]!, 1e-4)));
    expect(Array.from(matMul2d(a, b).dataSync())).to.deep.equal(Array.from(tf.matMul(a, b).dataSync()));
  });
});

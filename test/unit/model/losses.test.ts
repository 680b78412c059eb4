import { expect } from 'chai';
import { initBackend, tf } from '../../../src/model/backend.js';
import { maskedL1, peakPinball } from '../../../src/model/losses.js';

/** [N=1, B=1, H, K=1] from a list of steps. */
const steps = (values: number[]): tf.Tensor4D => tf.tensor4d(values, [1, 1, values.length, 1]);

describe('model/losses', () => {
  before(async () => {
    await initBackend();
  });

  it('L1 leaves gaps out of the mean', () => {
    const loss = tf.tidy(() => maskedL1(steps([1, 2, 3]), steps([2, 2, 100]), steps([1, 1, 0])).dataSync()[0]!);
    expect(loss).to.be.closeTo(0.5, 1e-6);
  });

  it('peak pinball: value on a hand-worked example, only the first L steps count', () => {
    // forecast peak over the first 2 steps = 3, realized peak = 5 (the 9 at step 3 is outside L = 2)
    const under = tf.tidy(() => peakPinball(steps([1, 3, 0]), steps([5, 2, 9]), steps([1, 1, 1]), 0.9, 2).dataSync()[0]!);
    expect(under).to.be.closeTo(0.9 * 2, 1e-5);
    // forecast peak 7 above realized 5: weight 1 − τ
    const over = tf.tidy(() => peakPinball(steps([7, 3, 0]), steps([5, 2, 9]), steps([1, 1, 1]), 0.9, 2).dataSync()[0]!);
    expect(over).to.be.closeTo(0.1 * 2, 1e-5);
    // a gap is never the realized peak
    const gap = tf.tidy(() => peakPinball(steps([1, 3]), steps([50, 2]), steps([0, 1]), 0.9, 2).dataSync()[0]!);
    expect(gap).to.be.closeTo(0.1, 1e-6);
  });

  it('peak pinball gradient: −τ at the forecast peak step when under, 1 − τ when over, 0 elsewhere', () => {
    const tau = 0.95;
    const grad = (forecast: number[], actual: number[]): number[] =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((p: tf.Tensor) => peakPinball(p as tf.Tensor4D, steps(actual), steps(actual.map(() => 1)), tau, 3))(steps(forecast))
            .dataSync(),
        ),
      );
    const under = grad([1, 4, 2, 8], [6, 6, 6, 6]);
    expect(under[0]).to.equal(0);
    expect(under[1]).to.be.closeTo(-tau, 1e-6);
    expect(under[2]).to.equal(0);
    expect(under[3]).to.equal(0); // step 4 is outside the look-ahead even though it is the largest
    const over = grad([1, 9, 2, 8], [6, 6, 6, 6]);
    expect(over[1]).to.be.closeTo(1 - tau, 1e-6);
    expect(over.filter((_, i) => i !== 1).every((v) => v === 0)).to.equal(true);
  });

  it('minimizing peak pinball drives the forecast peak to the τ-quantile of the realized peaks', () => {
    // Realized peaks 1..100 over 100 windows; the constant forecast that minimizes pinball at 0.9 is their 0.9 quantile.
    const actual = tf.tensor4d(
      Array.from({ length: 100 }, (_, i) => i + 1),
      [1, 100, 1, 1],
    );
    const mask = tf.onesLike(actual);
    const level = tf.variable(tf.scalar(0));
    const optimizer = tf.train.sgd(2);
    for (let i = 0; i < 400; i++) optimizer.minimize(() => peakPinball(tf.mul(tf.onesLike(actual), level) as tf.Tensor4D, actual, mask, 0.9, 1));
    expect(level.dataSync()[0]).to.be.within(89, 91.5);
    tf.dispose([actual, mask, level]);
    optimizer.dispose();
  });
});

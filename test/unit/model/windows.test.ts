import { expect } from 'chai';
import { buildBatch, chronologicalSplits, splitBounds } from '../../../src/model/windows.js';
import { fitNormalization, standardize } from '../../../src/model/normalization.js';
import type { Dataset } from '../../../src/dataset/index.js';

describe('model/windows and normalization', () => {
  it('splits chronologically: every target of a window lies inside its own split', () => {
    const bounds = splitBounds(100, 0.7, 0.1);
    const splits = chronologicalSplits(bounds, 5, 3);
    expect(bounds).to.deep.equal({ trainEnd: 70, valEnd: 80, length: 100 });
    expect(splits.train[0]).to.equal(4);
    expect(Math.max(...splits.train) + 3).to.be.below(70);
    expect(Math.min(...splits.val) + 1).to.equal(70);
    expect(Math.max(...splits.val) + 3).to.be.below(80);
    expect(Math.min(...splits.test) + 1).to.equal(80);
    expect(Math.max(...splits.test) + 3).to.equal(99);
  });

  it('refuses splits too short for one window, saying which', () => {
    expect(() => chronologicalSplits(splitBounds(30, 0.7, 0.1), 5, 3)).to.throw(/the val split has no complete window/);
  });

  it('normalization statistics come from the training steps only; a constant series is scaled by its magnitude', () => {
    const ds: Dataset = {
      services: ['a'],
      features: ['req', 'pod'],
      stepSeconds: 30,
      startMs: 0,
      length: 4,
      values: Float32Array.from([1, 2, 3, 2, 1000, 2, Number.NaN, 2]),
    };
    const norm = fitNormalization(ds, 2); // steps 0 and 1 only
    expect(Array.from(norm.mean)).to.deep.equal([2, 2]);
    expect(Array.from(norm.std)).to.deep.equal([1, 2]);
    const z = standardize(ds.values, norm);
    expect(z[4]).to.equal(998);
    expect(Number.isNaN(z[6]!)).to.equal(true);
  });

  it('an all-zero series gets std 1, and a constant idle CPU of 0.002 cores keeps errors in its own scale', () => {
    const ds: Dataset = {
      services: ['a'],
      features: ['cpu_cores', 'req'],
      stepSeconds: 30,
      startMs: 0,
      length: 3,
      values: Float32Array.from([0.002, 0, 0.002, 0, 0.002, 0]),
    };
    const norm = fitNormalization(ds, 3);
    expect(norm.std[0]).to.be.closeTo(0.002, 1e-9);
    expect(norm.std[1]).to.equal(1);
  });

  it('builds node-major batches with gaps as 0 in the input and masked out of the targets', () => {
    // 2 services, 1 feature, 6 steps: value = 10·service + step; a gap at step 4 of service 1.
    const z = Float32Array.from({ length: 12 }, (_, i) => 10 * (i % 2) + Math.floor(i / 2));
    z[4 * 2 + 1] = Number.NaN;
    const batch = buildBatch(z, [2, 3], { nodes: 2, features: 1, inputSteps: 2, horizon: 2, targetIndex: [0] });
    // x [N=2, B=2, T=2, F=1]
    expect(Array.from(batch.x)).to.deep.equal([1, 2, 2, 3, 11, 12, 12, 13]);
    // y [N, B, H, K]: service 1, origin 2 → steps 3, 4 (gap); origin 3 → steps 4 (gap), 5
    expect(Array.from(batch.y)).to.deep.equal([3, 4, 4, 5, 13, 0, 0, 15]);
    expect(Array.from(batch.mask)).to.deep.equal([1, 1, 1, 1, 1, 0, 0, 1]);
  });
});

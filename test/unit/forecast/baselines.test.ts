import { expect } from 'chai';
import { holtLinear, movingAverage, persistence, baselineForecaster, recentMax, seasonalNaive } from '../../../src/forecast/baselines.js';
import type { HistoryWindow } from '../../../src/history/index.js';

describe('baseline forecasters', () => {
  it('persistence repeats the last value that is not a gap', () => {
    expect(Array.from(persistence(Float32Array.from([1, 2, NaN]), 3))).to.deep.equal([2, 2, 2]);
  });

  it('moving average averages the last span values, skipping gaps', () => {
    expect(Array.from(movingAverage(3)(Float32Array.from([100, 2, NaN, 4]), 2))).to.deep.equal([3, 3]);
  });

  it('recent max holds the largest of the last span values, skipping gaps', () => {
    expect(Array.from(recentMax(3)(Float32Array.from([50, 1, 7, NaN, 2]), 2))).to.deep.equal([7, 7]);
    expect(Number.isNaN(recentMax(2)(Float32Array.from([NaN, NaN]), 1)[0]!)).to.equal(true);
  });

  it('seasonal naive repeats the value one period earlier, falling back to the last value at a gap or before the first cycle', () => {
    // period 4: steps 0..7 = two cycles 1,2,3,4; the next three steps repeat 1,2,3
    expect(Array.from(seasonalNaive(4)(Float32Array.from([1, 2, 3, 4, 1, 2, 3, 4]), 3))).to.deep.equal([1, 2, 3]);
    expect(Array.from(seasonalNaive(4)(Float32Array.from([1, 2, 3, 4, NaN, 2, 3, 4]), 2))).to.deep.equal([4, 2]);
    expect(Array.from(seasonalNaive(10)(Float32Array.from([5, 6]), 2))).to.deep.equal([6, 6]);
  });

  it('Holt extrapolates a clean linear trend exactly', () => {
    const out = holtLinear(0.5, 0.5)(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), 3);
    expect(out[0]).to.be.closeTo(20, 0.05);
    expect(out[2]).to.be.closeTo(22, 0.05);
  });

  it('Holt never forecasts negative demand', () => {
    const out = holtLinear(0.9, 0.9)(Float32Array.from([10, 8, 6, 4, 2, 0]), 5);
    expect(Math.min(...out)).to.equal(0);
  });

  it('a series with no value at all forecasts gaps, not zeros', () => {
    expect(Number.isNaN(persistence(Float32Array.from([NaN, NaN]), 1)[0]!)).to.equal(true);
  });

  it('fills the [H, N, K] layout per service and target', () => {
    const window: HistoryWindow = {
      services: ['a', 'b'],
      features: ['req', 'cpu_cores'],
      stepSeconds: 30,
      timestamps: Float64Array.from([30_000, 60_000]),
      // t0: a(req 1, cpu 10) b(req 2, cpu 20); t1: a(req 3, cpu 30) b(req 4, cpu 40)
      values: Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]),
    };
    const fc = baselineForecaster('persistence', 2, ['cpu_cores', 'req']).forecastSync(window);
    expect(fc.issuedAt).to.equal(60_000);
    expect(Array.from(fc.values)).to.deep.equal([30, 3, 40, 4, 30, 3, 40, 4]);
  });
});

import { expect } from 'chai';
import { holtLinear, movingAverage, persistence, baselineForecaster } from '../../../src/forecast/baselines.js';
import type { HistoryWindow } from '../../../src/history/index.js';

describe('baseline forecasters', () => {
  it('persistence repeats the last value that is not a gap', () => {
    expect(Array.from(persistence(Float32Array.from([1, 2, NaN]), 3))).to.deep.equal([2, 2, 2]);
  });

  it('moving average averages the last span values, skipping gaps', () => {
    expect(Array.from(movingAverage(3)(Float32Array.from([100, 2, NaN, 4]), 2))).to.deep.equal([3, 3]);
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

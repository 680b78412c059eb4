import { expect } from 'chai';
import { dominantPeriod, PeriodicForecaster } from '../../../src/forecast/periodic.js';
import type { HistoryWindow } from '../../../src/history/index.js';
import { buildWorkload, loadTrace } from '../../../src/sim/workload.js';

describe('periodic predictor (Crane-style)', () => {
  it('finds the period of a repeating pattern by autocorrelation, and none in a constant series', () => {
    const saw = Array.from({ length: 200 }, (_, t) => t % 25);
    expect(dominantPeriod(saw, 5, 0.5)!.lag).to.equal(25);
    expect(dominantPeriod(new Array(200).fill(3), 5, 0.5)).to.equal(null);
  });

  it('finds the daily cycle of two days of ClarkNet (not a lag where the smooth series still resembles itself), and the period rather than its multiples', () => {
    const clarknet = buildWorkload(loadTrace('data/traces/clarknet-1995-per-minute.csv'), { stepSeconds: 60, durationSeconds: 48 * 3600, peak: 100 });
    expect(dominantPeriod(clarknet, 10, 0.5)!.lag).to.equal(1440);
    const saw = Array.from({ length: 600 }, (_, t) => t % 25);
    expect(dominantPeriod(saw, 5, 0.5)!.lag).to.equal(25);
  });

  it('forecasts the value one period back; without a period, the metric itself', async () => {
    // One-minute steps; a 20-minute sawtooth seeded as history.
    const history = Array.from({ length: 120 }, (_, t) => t % 20);
    const fc = new PeriodicForecaster(
      { stepSeconds: 60, horizon: 3, targets: ['cpu_cores'], minPeriodSeconds: 300 },
      new Map([['a', new Map([['cpu_cores', history]])]]),
    );
    expect(fc.periodOf('a')).to.equal(20);
    const window: HistoryWindow = {
      services: ['a'],
      features: ['cpu_cores'],
      stepSeconds: 60,
      timestamps: Float64Array.from([120 * 60_000]),
      values: Float32Array.from([0]),
    };
    const out = await fc.forecast(window);
    // The new value (t = 120, phase 0) was appended; steps 121..123 are phases 1..3.
    expect(Array.from(out.values)).to.deep.equal([1, 2, 3]);
    const flat = new PeriodicForecaster(
      { stepSeconds: 60, horizon: 2, targets: ['cpu_cores'] },
      new Map([['a', new Map([['cpu_cores', new Array(120).fill(5)]])]]),
    );
    expect(Array.from((await flat.forecast({ ...window, values: Float32Array.from([7]) })).values)).to.deep.equal([7, 7]);
  });
});

import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { Frame } from '../../../src/core/frame.js';
import { ForecastErrorTracker } from '../../../src/planning/forecast-error.js';

const step = 30_000;

function forecast(issuedAt: number, cpuPerStep: readonly number[]): Forecast {
  return {
    model: 'test',
    issuedAt,
    stepSeconds: 30,
    horizon: cpuPerStep.length,
    services: ['api'],
    targets: ['cpu_cores'],
    values: Float32Array.from(cpuPerStep),
  };
}

function frame(timestamp: number, cpu: number): Frame {
  return { timestamp, services: ['api'], features: ['cpu_cores'], values: Float32Array.from([cpu]) };
}

describe('forecast error tracker (the forecast-error gauge)', () => {
  it('scores the prediction made for the frame timestamp as |predicted − actual| / actual', () => {
    const tracker = new ForecastErrorTracker({ window: 10 });
    tracker.recordForecast(forecast(0, [1.2, 5]));
    const [sample] = tracker.observe(frame(step, 1));
    expect(sample!.predicted).to.be.closeTo(1.2, 1e-6);
    expect(sample!.absolutePercentageError).to.be.closeTo(0.2, 1e-6);
    expect(tracker.meanErrors().get('api')).to.be.closeTo(0.2, 1e-6);
  });

  it('averages the recent scores of every pending forecast and forgets the oldest beyond the window', () => {
    const tracker = new ForecastErrorTracker({ window: 2 });
    tracker.recordForecast(forecast(0, [1.1, 1.3, 1]));
    tracker.observe(frame(step, 1)); // 0.1
    tracker.recordForecast(forecast(step, [1.2, 1]));
    tracker.observe(frame(2 * step, 1)); // first forecast step 2: 0.3; second step 1: 0.2
    expect(tracker.meanErrors().get('api')).to.be.closeTo(0.25, 1e-6); // window 2 keeps 0.3 and 0.2
  });

  it('caps one score at 100 % so a single outlier cannot dominate the mean', () => {
    const tracker = new ForecastErrorTracker({ window: 5 });
    tracker.recordForecast(forecast(0, [3]));
    tracker.observe(frame(step, 1));
    expect(tracker.meanErrors().get('api')).to.equal(1);
  });

  it('does not score gaps or near-zero actual demand', () => {
    const tracker = new ForecastErrorTracker({ window: 5 });
    tracker.recordForecast(forecast(0, [1, 1]));
    expect(tracker.observe(frame(step, NaN))).to.deep.equal([]);
    expect(tracker.observe(frame(2 * step, 0))).to.deep.equal([]);
    expect(tracker.meanErrors().has('api')).to.equal(false);
  });

  it('a forecast re-issued from the same data replaces the earlier one instead of being scored twice', () => {
    const tracker = new ForecastErrorTracker({ window: 5 });
    tracker.recordForecast(forecast(0, [2]));
    tracker.recordForecast(forecast(0, [1.5]));
    const samples = tracker.observe(frame(step, 1));
    expect(samples.map((s) => s.predicted)).to.deep.equal([1.5]);
  });

  it('drops a forecast once its horizon has passed', () => {
    const tracker = new ForecastErrorTracker({ window: 5 });
    tracker.recordForecast(forecast(0, [2]));
    tracker.observe(frame(step, 1));
    expect(tracker.observe(frame(step, 1))).to.deep.equal([]); // replayed timestamp: the forecast is gone
  });
});

import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { Frame } from '../../../src/core/frame.js';
import { ConformalSeries, DEFAULT_CALIBRATION, PeakCalibrator, type CalibrationOptions } from '../../../src/forecast/calibration.js';
import { createRandom, type Random } from '../../../src/util/random.js';

/** Runs a stream through a series the way the planner does: calibrate, plan, then learn the outcome. */
function online(series: ConformalSeries, risk: number, ratios: readonly number[], forecast = 2): boolean[] {
  return ratios.map((ratio) => {
    const { correction } = series.calibrate(risk);
    const realized = forecast * ratio;
    series.add(forecast, realized);
    return realized > forecast * correction;
  });
}

function rate(misses: readonly boolean[]): number {
  return misses.filter(Boolean).length / misses.length;
}

/** Log-normal ratios: the realized peak is the forecast times e^(σ·z). */
function lognormal(random: Random, n: number, sigma: number, shift = 1): number[] {
  return Array.from({ length: n }, () => shift * Math.exp(sigma * random.normal()));
}

const Z95 = 1.6449;

describe('calibration: online conformal correction with adaptive conformal inference', () => {
  it('takes the conformal quantile ⌈(n+1)(1−risk)⌉ of the scores (hand-worked)', () => {
    const series = new ConformalSeries({ ...DEFAULT_CALIBRATION, window: 9, adaptSteps: 0, maxCorrection: 100 });
    for (let r = 9; r >= 1; r--) series.add(1, r); // ratios 9, 8, …, 1
    // n = 9, risk 0.1: rank ⌈10 × 0.9⌉ = 9 → the largest; risk 0.3: rank ⌈7⌉ = 7 → 7.
    expect(series.calibrate(0.1).correction).to.equal(9);
    expect(series.calibrate(0.3).correction).to.equal(7);
    // risk 0.05 needs rank ⌈9.5⌉ = 10 > n: too few scores for that level, so the largest one.
    expect(series.calibrate(0.05).correction).to.equal(9);
  });

  it('plans the forecast as is before it has scores, and clamps to the bounds', () => {
    const options: CalibrationOptions = { ...DEFAULT_CALIBRATION, window: 20, adaptSteps: 0, minCorrection: 0.5, maxCorrection: 3 };
    const empty = new ConformalSeries(options);
    expect(empty.calibrate(0.05).correction).to.equal(1);
    const low = new ConformalSeries(options);
    for (let i = 0; i < 20; i++) low.add(10, 1); // forecasts 10× too high
    expect(low.calibrate(0.05).correction).to.equal(0.5);
    const high = new ConformalSeries(options);
    for (let i = 0; i < 20; i++) high.add(1, 10); // forecasts 10× too low
    expect(high.calibrate(0.05).correction).to.equal(3);
  });

  for (const risk of [0.05, 0.1, 0.2]) {
    it(`converges to the target miss rate on a log-normal stream (risk ${risk})`, () => {
      const series = new ConformalSeries();
      const sigma = 0.3;
      const misses = online(series, risk, lognormal(createRandom(7), 6000, sigma));
      const settled = misses.slice(500);
      expect(rate(settled)).to.be.closeTo(risk, 0.015);
      // The correction estimates the true quantile of the ratio, e^(σ z₁₋ᵣ).
      const z = risk === 0.05 ? Z95 : risk === 0.1 ? 1.2816 : 0.8416;
      expect(series.calibrate(risk).correction).to.be.closeTo(Math.exp(sigma * z), 0.15);
      // The rolling miss rate it reports agrees with what it did.
      expect(series.calibrate(risk).missRate).to.be.closeTo(rate(misses.slice(-DEFAULT_CALIBRATION.adaptSteps)), 0.06);
    });
  }

  it('re-converges after a level shift (the forecaster starts under-predicting by 60 %)', () => {
    const risk = 0.05;
    const random = createRandom(11);
    const before = lognormal(random, 3000, 0.25);
    const after = lognormal(random, 3000, 0.25, 1.6);
    const series = new ConformalSeries();
    const misses = online(series, risk, [...before, ...after]);
    const shifted = misses.slice(3000);
    // Right after the shift misses pile up; within a few windows the rate is back on target.
    expect(rate(shifted.slice(0, 20))).to.be.greaterThan(3 * risk);
    expect(rate(shifted.slice(600))).to.be.closeTo(risk, 0.015);
    expect(series.calibrate(risk).correction).to.be.closeTo(1.6 * Math.exp(0.25 * Z95), 0.2);
  });

  it('the adaptive level recovers from drift faster than the plain rolling quantile', () => {
    // A slow upward drift: the rolling quantile always lags; ACI lowers the level to compensate.
    const risk = 0.05;
    const random = createRandom(5);
    const ratios = Array.from({ length: 4000 }, (_, t) => Math.exp(t / 4000) * Math.exp(0.05 * random.normal()));
    const adaptive = rate(online(new ConformalSeries({ ...DEFAULT_CALIBRATION, stepSize: 0.02 }), risk, ratios).slice(500));
    const plain = rate(online(new ConformalSeries({ ...DEFAULT_CALIBRATION, stepSize: 0 }), risk, ratios).slice(500));
    expect(plain).to.be.greaterThan(risk + 0.02);
    expect(adaptive).to.be.closeTo(risk, 0.01);
  });

  it('depends only on the last window + adaptSteps scores: a replica that started later agrees exactly', () => {
    const ratios = lognormal(createRandom(3), 900, 0.4);
    const early = new ConformalSeries();
    const late = new ConformalSeries();
    ratios.forEach((r) => early.add(1, r));
    ratios.slice(900 - (DEFAULT_CALIBRATION.window + DEFAULT_CALIBRATION.adaptSteps)).forEach((r) => late.add(1, r));
    for (const risk of [0.01, 0.05, 0.3]) expect(late.calibrate(risk)).to.deep.equal(early.calibrate(risk));
  });
});

const step = 30_000;

function forecast(issuedAt: number, cpuPerStep: readonly number[]): Forecast {
  const values = new Float32Array(cpuPerStep.length * 2);
  cpuPerStep.forEach((v, h) => {
    values[h * 2] = v;
    values[h * 2 + 1] = 10 * v;
  });
  return { model: 'test', issuedAt, stepSeconds: 30, horizon: cpuPerStep.length, services: ['api'], targets: ['cpu_cores', 'req'], values };
}

function frame(timestamp: number, cpu: number, req = 10 * cpu): Frame {
  return { timestamp, services: ['api'], features: ['cpu_cores', 'req'], values: Float32Array.from([cpu, req]) };
}

describe('peak calibrator: forecast peak over the look-ahead vs the peak that came true', () => {
  const options = {
    services: ['api'],
    stepSeconds: 30,
    lookAheadSteps: 3,
    calibration: { ...DEFAULT_CALIBRATION, window: 4, adaptSteps: 0, maxCorrection: 10 },
  };

  it('scores max(forecast steps 1..L) against max(observed steps 1..L), per feature', () => {
    const calibrator = new PeakCalibrator(options);
    // Steps beyond the look-ahead (the 4th, 9) do not count toward the forecast peak.
    calibrator.recordForecast(forecast(0, [1, 2, 1.5, 9]));
    calibrator.observe(frame(step, 2.5, 5));
    calibrator.observe(frame(2 * step, 3, 5));
    expect(calibrator.resolved('api', 'cpu_cores')).to.equal(0);
    calibrator.observe(frame(3 * step, 1, 50));
    expect(calibrator.resolved('api', 'cpu_cores')).to.equal(1);
    // One score: at risk 0.5 the rank is ⌈2 × 0.5⌉ = 1: the ratio itself.
    const state = calibrator.calibrate(() => 0.5).get('api')!;
    expect(state.cpu_cores.correction).to.be.closeTo(3 / 2, 1e-6);
    expect(state.req.correction).to.be.closeTo(50 / 20, 1e-6);
  });

  it('does not score a look-ahead with a gap in it, nor one issued again from the same data twice', () => {
    const calibrator = new PeakCalibrator(options);
    calibrator.recordForecast(forecast(0, [1, 1, 1]));
    calibrator.recordForecast(forecast(0, [2, 2, 2])); // re-issued: replaces the first
    calibrator.observe(frame(step, 1));
    calibrator.observe(frame(2 * step, Number.NaN, 20));
    calibrator.observe(frame(3 * step, 1));
    expect(calibrator.resolved('api', 'cpu_cores')).to.equal(0);
    expect(calibrator.resolved('api', 'req')).to.equal(1);
    expect(calibrator.calibrate(() => 0.5).get('api')!.req.correction).to.be.closeTo(1, 1e-6); // 20 / 20
  });

  it('ignores a frame replayed at or before the last one', () => {
    const calibrator = new PeakCalibrator(options);
    calibrator.recordForecast(forecast(0, [1, 1, 1]));
    calibrator.observe(frame(step, 1));
    calibrator.observe(frame(step, 7)); // the same step again: not a second observation
    calibrator.observe(frame(2 * step, 1));
    calibrator.observe(frame(3 * step, 1));
    expect(calibrator.calibrate(() => 0.5).get('api')!.cpu_cores.correction).to.be.closeTo(1, 1e-6);
  });

  it('drops a look-ahead whose last step never arrived, without scoring it', () => {
    const calibrator = new PeakCalibrator(options);
    calibrator.recordForecast(forecast(0, [1, 1, 1]));
    calibrator.observe(frame(step, 1));
    calibrator.observe(frame(5 * step, 1)); // steps 2–4 skipped
    expect(calibrator.resolved('api', 'cpu_cores')).to.equal(0);
    calibrator.recordForecast(forecast(5 * step, [1, 1, 1]));
    for (let t = 6; t <= 8; t++) calibrator.observe(frame(t * step, 2));
    expect(calibrator.resolved('api', 'cpu_cores')).to.equal(1);
  });
});

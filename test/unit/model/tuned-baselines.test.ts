import { expect } from 'chai';
import { candidatePeriods, seriesPredictions, tuneBaselines } from '../../../src/model/tuned-baselines.js';
import { RidgeForecaster, ridgeSolve } from '../../../src/model/ridge.js';
import { movingAverage, persistence } from '../../../src/forecast/baselines.js';
import { createRandom } from '../../../src/util/random.js';
import type { SeriesArrays } from '../../../src/forecast/peak-score.js';
import type { Feature } from '../../../src/core/frame.js';

/** [T, N, F] from per-service, per-feature functions of t. */
function arrays(length: number, services: string[], features: Feature[], value: (t: number, s: number, f: number) => number): SeriesArrays {
  const values = new Float32Array(length * services.length * features.length);
  for (let t = 0; t < length; t++)
    for (let s = 0; s < services.length; s++)
      for (let f = 0; f < features.length; f++) values[(t * services.length + s) * features.length + f] = value(t, s, f);
  return { services, features, stepSeconds: 30, length, values };
}

const mae = (data: SeriesArrays, predicted: Float32Array, origins: readonly number[], horizon: number): number => {
  let sum = 0;
  origins.forEach((o, b) => {
    for (let h = 0; h < horizon; h++) sum += Math.abs(predicted[b * horizon + h]! - data.values[o + 1 + h]!);
  });
  return sum / (origins.length * horizon);
};

describe('forecast/ridge', () => {
  it('ridgeSolve solves (G + λI) W = R', () => {
    // G = [[2, 1], [1, 3]], λ = 1 → [[3, 1], [1, 4]]; W = [1, 2]ᵀ gives R = [5, 9]ᵀ
    const w = ridgeSolve(Float64Array.from([2, 1, 1, 3]), Float64Array.from([5, 9]), 2, 1, 1);
    expect(w[0]).to.be.closeTo(1, 1e-12);
    expect(w[1]).to.be.closeTo(2, 1e-12);
  });

  it('own-lag ridge learns an AR(1); a huge λ shrinks it to persistence', () => {
    // x_{t+1} = 0.5 x_t + 10 + e_t with zero-mean pseudo-random e_t: the best forecast is 0.5 x + 10
    const random = createRandom(3);
    let x = 20;
    const xs = Array.from({ length: 2000 }, () => (x = 0.5 * x + 10 + 8 * (random.next() - 0.5)));
    const data = arrays(2000, ['a'], ['req'], (t) => xs[t]!);
    const origins = Array.from({ length: 1500 }, (_, i) => i + 5);
    const [fit, frozen] = RidgeForecaster.fit(data, ['req'], 2, 1600, origins, 'own', 1, [1e-6, 1e12]);
    const at = [1700, 1800];
    const p = fit!.predict(data.values, at);
    const q = frozen!.predict(data.values, at);
    at.forEach((o, b) => {
      expect(p[b * 2]).to.be.closeTo(0.5 * xs[o]! + 10, 0.1);
      expect(p[b * 2 + 1]).to.be.closeTo(0.5 * (0.5 * xs[o]! + 10) + 10, 0.3);
      expect(q[b * 2]).to.be.closeTo(xs[o]!, 1e-3);
    });
  });

  it('all-services ridge reads the other services: b follows a one step later', () => {
    // a is a deterministic pseudo-random walk; b_t = a_{t-1}: only a's lag predicts b
    const random = createRandom(5);
    let x = 50;
    const a = Array.from({ length: 500 }, () => (x = Math.max(1, x + 10 * (random.next() - 0.5))));
    const data = arrays(500, ['a', 'b'], ['req'], (t, s) => (s === 0 ? a[t]! : a[Math.max(0, t - 1)]!));
    const origins = Array.from({ length: 380 }, (_, i) => i + 5);
    const [all] = RidgeForecaster.fit(data, ['req'], 1, 400, origins, 'all', 2, [1e-6]);
    const [own] = RidgeForecaster.fit(data, ['req'], 1, 400, origins, 'own', 2, [1e-6]);
    const test = [420, 430, 440];
    const truth = test.map((o) => a[o]!); // b at o + 1 = a at o
    const allB = Array.from(all!.predict(data.values, test)).filter((_, i) => i % 2 === 1);
    const ownB = Array.from(own!.predict(data.values, test)).filter((_, i) => i % 2 === 1);
    allB.forEach((v, i) => expect(v).to.be.closeTo(truth[i]!, 1e-2));
    expect(ownB.some((v, i) => Math.abs(v - truth[i]!) > 0.1)).to.equal(true);
  });
});

describe('forecast/tuned-baselines', () => {
  it('seriesPredictions applies a series predictor to each window', () => {
    const data = arrays(10, ['a'], ['req'], (t) => t);
    expect(Array.from(seriesPredictions(data, ['req'], 2, persistence, 1)(data.values, [3, 7]))).to.deep.equal([3, 3, 7, 7]);
  });

  it('finds the period of a repeating series among the autocorrelation peaks', () => {
    const data = arrays(400, ['a'], ['req'], (t) => [5, 1, 1, 9, 2, 2, 3, 1, 8, 4, 4, 6, 2, 7, 3, 5, 1, 1, 6, 2][t % 20]!);
    expect(candidatePeriods(data, ['req'], 300, 3)[0]).to.equal(20);
    expect(candidatePeriods(data, ['req'], 30, 3)).to.not.include(20); // fewer than two periods of 20
    expect(candidatePeriods(data, ['req'], 8, 3)).to.deep.equal([]); // no lag past the horizon fits twice
  });

  it("chooses each family's parameters by the validation loss only", () => {
    const data = arrays(400, ['a'], ['req'], (t) => [5, 1, 1, 9, 2, 2, 3, 1, 8, 4, 4, 6, 2, 7, 3, 5, 1, 1, 6, 2][t % 20]!);
    const trainOrigins = Array.from({ length: 250 }, (_, i) => i + 20);
    const validationOrigins = Array.from({ length: 50 }, (_, i) => i + 300);
    const tuned = tuneBaselines({
      data,
      targets: ['req'],
      horizon: 3,
      trainEnd: 280,
      trainOrigins,
      validationOrigins,
      validationLoss: (p, o) => mae(data, p, o, 3),
    });
    const byName = new Map(tuned.map((t) => [t.name, t]));
    expect([...byName.keys()]).to.deep.equal(['persistence', 'moving-average', 'recent-max', 'holt', 'seasonal-naive', 'ridge-own', 'ridge-all']);
    expect(byName.get('seasonal-naive')!.chosen).to.equal('period 20 steps');
    expect(byName.get('seasonal-naive')!.validationLoss).to.equal(0);
    expect(byName.get('holt')!.candidates).to.equal(24);
    const spanLosses = [2, 4, 8, 16, 32, 64].map((span) =>
      mae(data, seriesPredictions(data, ['req'], 3, movingAverage(span), span)(data.values, validationOrigins), validationOrigins, 3),
    );
    expect(byName.get('moving-average')!.validationLoss).to.equal(Math.min(...spanLosses));
    expect(byName.get('moving-average')!.chosen).to.equal(`span ${[2, 4, 8, 16, 32, 64][spanLosses.indexOf(Math.min(...spanLosses))]}`);
  });
});

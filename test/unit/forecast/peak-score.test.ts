import { expect } from 'chai';
import { pinballLoss, scorePeaks, type SeriesArrays } from '../../../src/forecast/peak-score.js';
import { createRandom } from '../../../src/util/random.js';

describe('forecast/peak-score', () => {
  it('pinball loss weighs an under-forecast by τ and an over-forecast by 1 − τ', () => {
    expect(pinballLoss(10, 8, 0.9)).to.be.closeTo(1.8, 1e-12);
    expect(pinballLoss(10, 12, 0.9)).to.be.closeTo(0.2, 1e-12);
    expect(pinballLoss(10, 10, 0.9)).to.equal(0);
  });

  it('scores the calibrated look-ahead peak on a hand-worked example', () => {
    // One service, one feature; actual 10, 20, 30, 40, 50, 60. Look-ahead L = 2, horizon 2.
    const data: SeriesArrays = { services: ['a'], features: ['req'], stepSeconds: 30, length: 6, values: Float32Array.from([10, 20, 30, 40, 50, 60]) };
    // Origins 0, 1, 2, 3: realized peaks (max of the next 2 steps) 30, 40, 50, 60.
    // Forecasts (both steps): window 0 → [15, 15] (peak 15), 1 → [20, 20], 2 → [50, 50], 3 → [30, 30].
    const predicted = Float32Array.from([15, 15, 20, 20, 50, 50, 30, 30]);
    const calibration = { window: 10, adaptSteps: 0, maxCorrection: 4 };
    const score = scorePeaks('m', data, ['req'], [0, 1, 2, 3], predicted, 2, { lookAheadSteps: 2, risk: 0.5, calibration });
    // Windows 0 and 1: no outcome known yet (window 0's is known at step 2) → the forecast as is: plans 15, 20.
    // Window 2: knows window 0 (ratio 30/15 = 2): the median of one score is 2 → plan 100.
    // Window 3: knows windows 0 and 1 (ratios 2, 2) → plan 60.
    // pinball at τ 0.5: 0.5·(15 + 20) under + 0.5·50 over + 0 = 42.5 over 4 windows; windows 0 and 1 miss.
    const stats = score.overall[0]!;
    expect(stats.pinball).to.be.closeTo(42.5 / 4, 1e-9);
    expect(stats.underProvision).to.equal(0.5);
    expect(stats.excessPercent).to.be.closeTo((100 * 50) / (30 + 40 + 50 + 60), 1e-9);
    expect(stats.count).to.equal(4);
    // Scoring from window 2 on: the first two only warm the calibration.
    const later = scorePeaks('m', data, ['req'], [0, 1, 2, 3], predicted, 2, { lookAheadSteps: 2, risk: 0.5, scoredFrom: 2, calibration });
    expect(later.overall[0]!.count).to.equal(2);
    expect(later.overall[0]!.pinball).to.be.closeTo(25 / 2, 1e-9);
  });

  it('the planner’s online correction brings a biased forecaster to the target miss rate', () => {
    // Realized values 100 × (1 + 0.3 u), forecasts always 60: uncorrected, every window would miss.
    const random = createRandom(7);
    const length = 4000;
    const data: SeriesArrays = {
      services: ['a'],
      features: ['req'],
      stepSeconds: 30,
      length,
      values: Float32Array.from({ length }, () => 100 * (1 + 0.3 * random.next())),
    };
    const origins = Array.from({ length: length - 2 }, (_, i) => i);
    const predicted = new Float32Array(origins.length * 2).fill(60);
    const score = scorePeaks('m', data, ['req'], origins, predicted, 2, { lookAheadSteps: 2, risk: 0.1, scoredFrom: 500 });
    expect(score.overall[0]!.underProvision).to.be.closeTo(0.1, 0.02);
  });
});

import { expect } from 'chai';
import { holtWinters, podsForUsage } from '../../../src/sim/phpa.js';

describe('PHPA-style autoscaler', () => {
  it('Holt-Winters repeats a seasonal pattern once it has two seasons of history', () => {
    const history = [2, 4, 6, 2, 4, 6, 2, 4, 6];
    const next = holtWinters(history, 3, { alpha: 0.5, beta: 0.1, gamma: 0.5, season: 3 });
    expect(next.map((x) => Math.round(x))).to.deep.equal([2, 4, 6]);
  });

  it('with less than two seasons it is Holt’s linear trend (a steady ramp continues)', () => {
    const next = holtWinters([1, 2, 3, 4, 5], 2, { alpha: 1, beta: 1, gamma: 0.5, season: 100 });
    expect(next).to.deep.equal([6, 7]);
  });

  it('records the pods the sampled CPU needs, not the controller’s keep-current answer: 0.9 cores at 60 % of 0.1 → 15', () => {
    const metric = {
      type: 'Resource',
      target: 'Utilization',
      readyUsageCores: 0.9,
      readyPods: 12,
      unreadyPods: 5,
      missingPods: 3,
      podRequestCores: 0.1,
      averageUtilization: 60,
    } as const;
    expect(podsForUsage(metric)).to.equal(15);
  });
});

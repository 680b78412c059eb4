import { expect } from 'chai';
import type { ServiceCapacity } from '../../../src/planning/index.js';
import { PlanDelayLine, ScorecardAccumulator, delaySteps, underProvisioned } from '../../../src/explain/scorecard.js';

const capacity: ServiceCapacity = { service: 'api', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 10 };

describe('preview scorecard arithmetic', () => {
  it('judges each step against the plan made delaySteps earlier, and sums minutes and replica-hours by hand', () => {
    // 60 s steps, actuation 2 steps. Hand-worked, capacity 0.5 cores per pod:
    //  step  cpu   running  plan made  plan in effect  actual short?      planned short?
    //  t0    0.8   2        2          –               skipped            skipped
    //  t1    1.2   2        3          –               skipped            skipped
    //  t2    1.4   2        3          2 (t0)          1.4 > 1.0 yes      1.4 > 1.0 yes
    //  t3    1.4   3        3          3 (t1)          1.4 ≤ 1.5 no       no
    //  t4    0.9   3        2          3 (t2)          no                 no
    //  t5    gap   3        3          3 (t3)          skipped (no demand)
    //  t6    1.0   4        2          2 (t4)          no                 1.0 = 1.0 no (not above)
    //  t7    1.3   2        3          3 (t5)          1.3 > 1.0 yes      1.3 ≤ 1.5 no
    // scored t2,t3,t4,t6,t7 = 5 min; under: actual 2 min, planned 1 min;
    // replica-minutes: actual 2+3+3+4+2 = 14, planned 2+3+3+2+3 = 13.
    const steps: [number, number, number][] = [
      [0.8, 2, 2],
      [1.2, 2, 3],
      [1.4, 2, 3],
      [1.4, 3, 3],
      [0.9, 3, 2],
      [Number.NaN, 3, 3],
      [1.0, 4, 2],
      [1.3, 2, 3],
    ];
    const line = new PlanDelayLine(delaySteps(120, 60));
    const score = new ScorecardAccumulator(capacity);
    const scored: boolean[] = [];
    for (const [cpu, running, plan] of steps) {
      const inEffect = line.push(new Map([['api', plan]]));
      scored.push(score.add({ service: 'api', cpuCores: cpu, req: Number.NaN, replicas: running }, inEffect?.get('api') ?? null, 60));
    }
    expect(scored).to.deep.equal([false, false, true, true, true, false, true, true]);
    const view = score.view();
    expect(view.scoredMinutes).to.equal(5);
    expect(view.skippedSteps).to.equal(3);
    expect(view.actual.underProvisionedMinutes).to.equal(2);
    expect(view.planned.underProvisionedMinutes).to.equal(1);
    expect(view.actual.replicaHours).to.be.closeTo(14 / 60, 1e-12);
    expect(view.planned.replicaHours).to.be.closeTo(13 / 60, 1e-12);
  });

  it('skips a step whose running replicas are unknown or whose plan was unavailable, on both sides alike', () => {
    const score = new ScorecardAccumulator(capacity);
    expect(score.add({ service: 'api', cpuCores: 2, req: Number.NaN, replicas: Number.NaN }, 3, 30)).to.equal(false);
    expect(score.add({ service: 'api', cpuCores: 2, req: Number.NaN, replicas: 3 }, null, 30)).to.equal(false);
    const view = score.view();
    expect(view.scoredMinutes).to.equal(0);
    expect(view.actual.replicaHours).to.equal(0);
    expect(view.planned.replicaHours).to.equal(0);
    expect(view.skippedSteps).to.equal(2);
  });

  it("counts request rate as demand when a pod's request capacity is known, and forgives float noise at the boundary", () => {
    const withReq: ServiceCapacity = { ...capacity, reqPerPod: 10 };
    // CPU is fine on 2 pods (0.4 ≤ 1.0) but 25 req/s needs 3 pods of 10.
    expect(underProvisioned({ cpuCores: 0.4, req: 25 }, 2, withReq)).to.equal(true);
    expect(underProvisioned({ cpuCores: 0.4, req: 25 }, 2, capacity)).to.equal(false);
    // Float32 0.3 on 3 × 0.1 is not short.
    expect(underProvisioned({ cpuCores: Math.fround(0.3), req: Number.NaN }, 3, { ...capacity, cpuPerPodCores: 0.1 })).to.equal(false);
  });

  it('rounds the actuation delay up to whole steps, at least one', () => {
    expect(delaySteps(75, 30)).to.equal(3);
    expect(delaySteps(60, 30)).to.equal(2);
    expect(delaySteps(0, 30)).to.equal(1);
  });
});

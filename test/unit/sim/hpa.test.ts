import { expect } from 'chai';
import { HorizontalPodAutoscaler, externalAverageValueReplicas, resourceUtilizationReplicas, type HpaMetric } from '../../../src/sim/hpa.js';

const averageValue = (usage: number): HpaMetric => ({ type: 'External', target: 'AverageValue', usage, averageValue: 1 });

function cpu(readyUsageCores: number, readyPods: number, extra: { unreadyPods?: number; missingPods?: number } = {}): Extract<HpaMetric, { type: 'Resource' }> {
  return {
    type: 'Resource',
    target: 'Utilization',
    readyUsageCores,
    readyPods,
    unreadyPods: extra.unreadyPods ?? 0,
    missingPods: extra.missingPods ?? 0,
    podRequestCores: 0.1,
    averageUtilization: 50,
  };
}

/** Syncs every 15 s from t = 0 through `until`, applying each decision; returns the counts. */
function syncEvery15s(hpa: HorizontalPodAutoscaler, start: number, usage: number, until: number): number[] {
  const counts: number[] = [];
  let current = start;
  for (let now = 0; now <= until; now += 15) {
    current = hpa.reconcile({ now, currentReplicas: current, metrics: [averageValue(usage)] }).desiredReplicas;
    counts.push(current);
  }
  return counts;
}

describe('HPA algorithm (kube-controller-manager)', () => {
  describe('External AverageValue', () => {
    it('proposes ceil(usage / target) outside the tolerance band: 7 over 5 pods → 7', () => {
      expect(externalAverageValueReplicas(7, 1, 5, 0.1).replicas).to.equal(7);
    });

    it('keeps status.replicas while usage / (target × replicas) is within ±10 %: 5.4 over 5 → 5', () => {
      expect(externalAverageValueReplicas(5.4, 1, 5, 0.1).replicas).to.equal(5);
      expect(externalAverageValueReplicas(4.6, 1, 5, 0.1).replicas).to.equal(5);
    });

    it('leaves the band on the far side of 10 %: 4 over 5 (ratio 0.8) → 4', () => {
      expect(externalAverageValueReplicas(4, 1, 5, 0.1).replicas).to.equal(4);
    });

    it('with AverageValue 1 reproduces any served count R that differs from current by more than 10 %', () => {
      for (let current = 1; current <= 30; current++) {
        for (let served = 1; served <= 60; served++) {
          // |R / current − 1| > 0.1 in exact integer arithmetic (R = 11 over 10 is inside: inclusive).
          const expected = 10 * Math.abs(served - current) > current ? served : current;
          expect(externalAverageValueReplicas(served, 1, current, 0.1).replicas, `R=${served}, current=${current}`).to.equal(expected);
        }
      }
    });

    it('reads quantities in milli-units so 0.1 × 3 does not become a fourth pod', () => {
      expect(externalAverageValueReplicas(0.1 * 3, 0.1, 1, 0.1).replicas).to.equal(3);
    });
  });

  describe('Resource utilization', () => {
    it('scales by utilization / target × ready pods: 4 pods at 90 % of a 50 % target → 8', () => {
      // 0.36 cores over 4 × 0.1 requested = 90 %; 90 / 50 = 1.8; ceil(1.8 × 4) = 8
      expect(resourceUtilizationReplicas(cpu(0.36, 4), 4, 0.1).replicas).to.equal(8);
    });

    it('keeps the count when utilization is within 10 % of target: 54 % of 50 %', () => {
      expect(resourceUtilizationReplicas(cpu(0.216, 4), 4, 0.1).replicas).to.equal(4);
    });

    it('counts unready pods as idle on scale-up: 2 hot + 2 starting pods → the ratio falls to 0.9 and the count stays', () => {
      // ready: 0.18 / 0.2 = 90 %, ratio 1.8 > 1 → recompute over 4 pods: 180·100/400 = 45 %, ratio 0.9 → keep
      expect(resourceUtilizationReplicas(cpu(0.18, 2, { unreadyPods: 2 }), 4, 0.1).replicas).to.equal(4);
    });

    it('counts missing pods as fully busy on scale-down, damping it', () => {
      // ready: 0.04 / 0.2 = 20 %, ratio 0.4; with 1 missing pod at 100 %: (40+100)·100/300 = 46 %, ratio 0.92 → keep 3
      expect(resourceUtilizationReplicas(cpu(0.04, 2, { missingPods: 1 }), 3, 0.1).replicas).to.equal(3);
      // without the missing pod the same usage would scale 2 → ceil(0.4 × 2) = 1
      expect(resourceUtilizationReplicas(cpu(0.04, 2), 2, 0.1).replicas).to.equal(1);
    });

    it('truncates utilization to whole percent like the controller', () => {
      // 0.601 cores / (10 × 0.1) = 60.1 % → 60 %; ratio 1.2 → ceil(12) = 12 (60.1 % would give 13)
      expect(resourceUtilizationReplicas({ ...cpu(0.601, 10) }, 10, 0.1).replicas).to.equal(12);
    });
  });

  describe('normalization without behavior', () => {
    it('holds a scale-down for the 300 s stabilization window, then takes the max of the last 300 s', () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 20 });
      let current = 10;
      const history: Array<[number, number]> = [];
      for (let now = 0; now <= 330; now += 15) {
        const d = hpa.reconcile({ now, currentReplicas: current, metrics: [averageValue(now === 0 ? 10 : 4)] });
        current = d.desiredReplicas;
        history.push([now, current]);
      }
      // the proposal of 10 made at t = 0 is inside the window until the cut-off passes it (t = 315)
      expect(history.filter(([t]) => t < 315).every(([, r]) => r === 10)).to.equal(true);
      expect(history.find(([t]) => t === 315)![1]).to.equal(4);
    });

    it('limits one scale-up to max(2 × current, 4)', () => {
      expect(
        new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100 }).reconcile({ now: 0, currentReplicas: 3, metrics: [averageValue(20)] })
          .desiredReplicas,
      ).to.equal(6);
      expect(
        new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100 }).reconcile({ now: 0, currentReplicas: 1, metrics: [averageValue(20)] })
          .desiredReplicas,
      ).to.equal(4);
    });

    it('clamps to min and max replicas', () => {
      expect(
        new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 5 }).reconcile({ now: 0, currentReplicas: 4, metrics: [averageValue(7)] }).desiredReplicas,
      ).to.equal(5);
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 2, maxReplicas: 5, downscaleStabilizationSeconds: 0 });
      hpa.reconcile({ now: 0, currentReplicas: 3, metrics: [averageValue(3)] });
      expect(hpa.reconcile({ now: 15, currentReplicas: 3, metrics: [averageValue(1)] }).desiredReplicas).to.equal(2);
    });
  });

  describe('normalization with behavior', () => {
    it('default scale-up policies allow max(+4 pods, +100 %) per 15 s', () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100, behavior: {} });
      const first = hpa.reconcile({ now: 0, currentReplicas: 2, metrics: [averageValue(40)] });
      expect(first.desiredReplicas).to.equal(6); // 2 + 4 beats 2 × 2
      // 15 s later the event at t = 0 has left the period (strictly after the cut-off counts)
      expect(hpa.reconcile({ now: 15, currentReplicas: 6, metrics: [averageValue(40)] }).desiredReplicas).to.equal(12); // 6 × 2 beats 6 + 4
    });

    it('a Pods policy counts the pods already added inside its period', () => {
      const hpa = new HorizontalPodAutoscaler({
        minReplicas: 1,
        maxReplicas: 100,
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
      });
      expect(syncEvery15s(hpa, 2, 10, 60)).to.deep.equal([3, 3, 3, 3, 4]);
    });

    it('a Percent scale-down policy truncates and counts removals inside its period', () => {
      const hpa = new HorizontalPodAutoscaler({
        minReplicas: 1,
        maxReplicas: 100,
        behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } },
      });
      // trunc(11 × 0.5) = 5, held while the removal of 6 is inside 60 s, then trunc(5 × 0.5) = 2
      expect(syncEvery15s(hpa, 11, 1, 60)).to.deep.equal([5, 5, 5, 5, 2]);
    });

    it('the default 300 s scale-down window keeps the highest recommendation, a shorter one lets troughs through', () => {
      const run = (window: number | undefined): number[] => {
        const hpa = new HorizontalPodAutoscaler({
          minReplicas: 1,
          maxReplicas: 100,
          behavior: { scaleDown: window === undefined ? {} : { stabilizationWindowSeconds: window } },
        });
        const out: number[] = [];
        let current = 8;
        for (const [now, usage] of [
          [0, 8],
          [15, 3],
          [30, 3],
          [45, 3],
        ] as const) {
          current = hpa.reconcile({ now, currentReplicas: current, metrics: [averageValue(usage)] }).desiredReplicas;
          out.push(current);
        }
        return out;
      };
      expect(run(undefined)).to.deep.equal([8, 8, 8, 8]);
      expect(run(20)).to.deep.equal([8, 8, 3, 3]); // the 8 at t = 0 is inside (15 − 20, 15] but not (30 − 20, 30]
    });

    it('a scale-up stabilization window takes the smallest recommendation inside it', () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100, behavior: { scaleUp: { stabilizationWindowSeconds: 30 } } });
      expect(hpa.reconcile({ now: 0, currentReplicas: 2, metrics: [averageValue(2)] }).desiredReplicas).to.equal(2);
      // the 2 recommended at t = 0 is inside (15 − 30, 15] and holds the count
      expect(hpa.reconcile({ now: 15, currentReplicas: 2, metrics: [averageValue(5)] }).desiredReplicas).to.equal(2);
      expect(hpa.reconcile({ now: 30, currentReplicas: 2, metrics: [averageValue(5)] }).desiredReplicas).to.equal(5);
    });

    it('selectPolicy Disabled never scales in that direction', () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100, behavior: { scaleUp: { selectPolicy: 'Disabled' } } });
      expect(hpa.reconcile({ now: 0, currentReplicas: 2, metrics: [averageValue(9)] }).desiredReplicas).to.equal(2);
    });
  });

  describe('several metrics', () => {
    it('takes the largest proposal', () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100 });
      expect(hpa.reconcile({ now: 0, currentReplicas: 4, metrics: [averageValue(5), cpu(0.36, 4)] }).desiredReplicas).to.equal(8);
    });

    it('a failing metric blocks a scale-down but not a scale-up', () => {
      const failed: HpaMetric = { type: 'Failed', error: 'adapter unavailable' };
      const down = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100, downscaleStabilizationSeconds: 0 });
      const held = down.reconcile({ now: 0, currentReplicas: 6, metrics: [averageValue(2), failed] });
      expect(held.desiredReplicas).to.equal(6);
      expect(held.reason).to.contain('adapter unavailable');
      const up = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100 });
      expect(up.reconcile({ now: 0, currentReplicas: 2, metrics: [averageValue(3), failed] }).desiredReplicas).to.equal(3);
    });
  });

  it('rejects a spec whose maxReplicas is below minReplicas, naming both', () => {
    expect(() => new HorizontalPodAutoscaler({ minReplicas: 3, maxReplicas: 2 })).to.throw(/maxReplicas.*minReplicas \(3\).*2/);
  });
});

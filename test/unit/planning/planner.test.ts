import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { ServiceCapacity } from '../../../src/planning/index.js';
import { lookAheadSteps, planReplicas, podsFor, reactiveReplicas } from '../../../src/planning/planner.js';
import { HPA_DEFAULTS, externalAverageValueReplicas, resourceUtilizationReplicas } from '../../../src/sim/hpa.js';

/** A forecast for one service "api" with targets [cpu_cores, req], step 30 s, one value pair per step. */
function forecastOf(steps: ReadonlyArray<readonly [number, number]>, services = ['api']): Forecast {
  const values = new Float32Array(steps.length * services.length * 2);
  steps.forEach(([cpu, req], h) => {
    for (let s = 0; s < services.length; s++) {
      values[(h * services.length + s) * 2] = cpu;
      values[(h * services.length + s) * 2 + 1] = req;
    }
  });
  return { model: 'test', issuedAt: 1_000_000, stepSeconds: 30, horizon: steps.length, services, targets: ['cpu_cores', 'req'], values };
}

const api: ServiceCapacity = { service: 'api', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 };
const sizedAt =
  (cpu: number, req = 1) =>
  () => ({ risk: 0.05, correction: { cpu_cores: cpu, req } });
/** Three 30 s steps of look-ahead, the forecast as is. */
const noMargin = { lookAheadSteps: 3, sizing: sizedAt(1) };

describe('planner: forecast → replicas', () => {
  it('scales for the peak inside the look-ahead window and ignores later steps', () => {
    // Three steps of look-ahead = steps 0..2; the 9-core spike at step 3 is outside it.
    const fc = forecastOf([
      [1, 0],
      [2.2, 0],
      [1.6, 0],
      [9, 0],
    ]);
    const [rec] = planReplicas(fc, [api], noMargin);
    expect(rec!.desiredReplicas).to.equal(5); // ceil(2.2 / 0.5)
    expect(rec!.reason).to.include({ kind: 'forecast', driver: 'cpu_cores', horizonStep: 1 });
    expect(rec!.reason.demand).to.be.closeTo(2.2, 1e-6);
    expect(rec!.peakCpuCores).to.be.closeTo(2.2, 1e-6);
  });

  it('a longer look-ahead reaches the later spike', () => {
    const fc = forecastOf([
      [1, 0],
      [2.2, 0],
      [1.6, 0],
      [9, 0],
    ]);
    const [rec] = planReplicas(fc, [api], { ...noMargin, lookAheadSteps: 4 });
    expect(rec!.desiredReplicas).to.equal(18);
    expect(rec!.reason.horizonStep).to.equal(3);
  });

  it('the look-ahead in steps: a window shorter than one step still uses the first step, never more than the horizon', () => {
    expect(lookAheadSteps(10, 30, 10)).to.equal(1);
    expect(lookAheadSteps(60, 30, 10)).to.equal(2);
    expect(lookAheadSteps(61, 30, 10)).to.equal(3);
    expect(lookAheadSteps(3600, 30, 10)).to.equal(10);
  });

  it('multiplies the peak by the calibrated correction before rounding up', () => {
    const fc = forecastOf([[2, 0]]);
    const [plain] = planReplicas(fc, [api], noMargin);
    const [corrected] = planReplicas(fc, [api], { ...noMargin, sizing: sizedAt(1.1) });
    expect(plain!.desiredReplicas).to.equal(4); // 2 / 0.5
    expect(corrected!.desiredReplicas).to.equal(5); // 2.2 / 0.5 = 4.4 → 5
    expect(corrected!.reason).to.include({ correction: 1.1, risk: 0.05 });
    // A forecast that runs high is corrected down.
    expect(planReplicas(fc, [api], { ...noMargin, sizing: sizedAt(0.7) })[0]!.desiredReplicas).to.equal(3); // 1.4 / 0.5 → 3
  });

  it('each feature has its own correction: the one with the larger corrected need decides', () => {
    const withReq = { ...api, reqPerPod: 50 };
    // cpu 1 × 1 / 0.5 = 2 pods; req 60 × 2 / 50 = 2.4 → 3 pods.
    const [rec] = planReplicas(forecastOf([[1, 60]]), [withReq], { ...noMargin, sizing: sizedAt(1, 2) });
    expect(rec!.desiredReplicas).to.equal(3);
    expect(rec!.reason).to.include({ driver: 'req', correction: 2 });
  });

  it('rounds up fractional pods but not float noise', () => {
    expect(podsFor(1.01, 0.5)).to.equal(3);
    expect(podsFor(Math.fround(0.3), 0.1)).to.equal(3); // float32 0.3 / 0.1 = 3.0000001
    expect(podsFor(0, 0.5)).to.equal(0);
  });

  it('holds min and max replicas and says which bound decided', () => {
    const low = planReplicas(forecastOf([[0.1, 0]]), [{ ...api, minReplicas: 2 }], noMargin)[0]!;
    expect(low.desiredReplicas).to.equal(2);
    expect(low.reason.kind).to.equal('min-bound');
    expect(low.reason.text).to.contain('minReplicas 2');
    const high = planReplicas(forecastOf([[100, 0]]), [api], noMargin)[0]!;
    expect(high.desiredReplicas).to.equal(20);
    expect(high.reason.kind).to.equal('max-bound');
  });

  it('request rate drives the count when it needs more pods than CPU', () => {
    const withReq = { ...api, reqPerPod: 50 };
    const [rec] = planReplicas(
      forecastOf([
        [1, 180],
        [1.2, 260],
      ]),
      [withReq],
      { ...noMargin, lookAheadSteps: 2 },
    );
    expect(rec!.desiredReplicas).to.equal(6); // ceil(260 / 50) > ceil(1.2 / 0.5)
    expect(rec!.reason).to.include({ driver: 'req', horizonStep: 1, demand: 260, capacityPerPod: 50 });
    expect(rec!.peakReq).to.equal(260);
  });

  it('request rate is ignored when no per-pod request capacity is known', () => {
    const [rec] = planReplicas(forecastOf([[1, 1e6]]), [api], noMargin);
    expect(rec!.reason.driver).to.equal('cpu_cores');
    expect(rec!.desiredReplicas).to.equal(2);
  });

  it('skips gaps in the window and leaves out a service whose forecast is all gaps', () => {
    const fc = forecastOf(
      [
        [NaN, 0],
        [1.4, 0],
      ],
      ['api'],
    );
    expect(planReplicas(fc, [api], noMargin)[0]!.desiredReplicas).to.equal(3);
    expect(planReplicas(forecastOf([[NaN, NaN]]), [api], noMargin)).to.deep.equal([]);
  });

  it('a service the forecast does not know is an error that names it', () => {
    expect(() => planReplicas(forecastOf([[1, 0]]), [{ ...api, service: 'ghost' }], noMargin)).to.throw(/no service "ghost"/);
  });

  it('explains the decision in one readable sentence', () => {
    const [rec] = planReplicas(forecastOf([[2.2, 0]]), [api], { ...noMargin, sizing: sizedAt(1.1) });
    expect(rec!.reason.text).to.equal('forecast peak at step 1 cpu_cores 2.2 cores × 1.1 (calibrated for risk 5%) / 0.5 cores per pod = 5 replicas');
  });
});

describe('planner: reactive estimate (what a CPU HPA would do now)', () => {
  it('divides current usage by the per-pod capacity, with no correction', () => {
    const [rec] = reactiveReplicas([{ service: 'api', cpuCores: 1.6, req: 0, replicas: NaN }], [api]);
    expect(rec!.desiredReplicas).to.equal(4);
    expect(rec!.reason).to.include({ kind: 'reactive', horizonStep: -1, risk: null, correction: 1 });
  });

  it('keeps the current count inside the ±10 % tolerance band, like the HPA', () => {
    // 2.1 cores over 4 pods × 0.5 = ratio 1.05 → keep 4 (a plain ceiling would say 5).
    const [kept] = reactiveReplicas([{ service: 'api', cpuCores: 2.1, req: 0, replicas: 4 }], [api]);
    expect(kept!.desiredReplicas).to.equal(4);
    expect(kept!.reason.text).to.contain('tolerance');
    // 2.3 cores: ratio 1.15 → ceil(4.6) = 5.
    const [moved] = reactiveReplicas([{ service: 'api', cpuCores: 2.3, req: 0, replicas: 4 }], [api]);
    expect(moved!.desiredReplicas).to.equal(5);
  });

  it('keeps the count at a ratio of exactly 1.1, inclusive like the K8s ≥ 1.33 controller despite float error', () => {
    // 2.2 cores over 4 pods × 0.5 = ratio 1.1, and 1.1 − 1 is 0.10000000000000009 in floating point:
    // an exact |1 − r| ≤ 0.1 would scale to ceil(4.4) = 5, the controller keeps 4.
    const [rec] = reactiveReplicas([{ service: 'api', cpuCores: 2.2, req: 0, replicas: 4 }], [api]);
    expect(rec!.desiredReplicas).to.equal(4);
    expect(rec!.reason.text).to.contain('tolerance');
    // 1.8 cores: ratio 0.9, the lower edge, also kept.
    expect(reactiveReplicas([{ service: 'api', cpuCores: 1.8, req: 0, replicas: 4 }], [api])[0]!.desiredReplicas).to.equal(4);
  });

  it('leaves out services with no usage data', () => {
    expect(reactiveReplicas([{ service: 'api', cpuCores: NaN, req: NaN, replicas: 3 }], [api])).to.deep.equal([]);
    expect(reactiveReplicas([], [api])).to.deep.equal([]);
  });
});

describe('planner: HPA semantics of the served value', () => {
  // The HPA sees one item per service (value = desired replicas) against target AverageValue "1".
  const served = (desired: number, current: number): number => externalAverageValueReplicas(desired, 1, current, HPA_DEFAULTS.tolerance).replicas;

  it('AverageValue 1 turns the served count into exactly that count when it differs by more than 10 %', () => {
    for (const [cpu, current] of [
      [4.2, 3],
      [0.9, 6],
      [12.1, 1],
      [2.0, 20],
    ] as const) {
      const [rec] = planReplicas(forecastOf([[cpu, 0]]), [api], noMargin);
      expect(served(rec!.desiredReplicas, current), `cpu ${cpu} from ${current} pods`).to.equal(rec!.desiredReplicas);
    }
  });

  it('inside the ±10 % band the HPA keeps the current count (so small corrections only land on large services)', () => {
    const [rec] = planReplicas(forecastOf([[10.5, 0]]), [{ ...api, maxReplicas: 50 }], noMargin); // 21 replicas
    expect(rec!.desiredReplicas).to.equal(21);
    expect(served(rec!.desiredReplicas, 20)).to.equal(20); // ratio 1.05: within tolerance
    expect(served(rec!.desiredReplicas, 18)).to.equal(21); // ratio 1.17
  });

  it('the reactive estimate agrees with what the HPA computes from CPU utilization', () => {
    const capacity = { ...api, cpuPerPodCores: 0.2 * 0.7 }; // request 200m, target 70 %
    for (const [cores, pods] of [
      [0.5, 2],
      [0.15, 4],
      [1.3, 3],
    ] as const) {
      const [rec] = reactiveReplicas([{ service: 'api', cpuCores: cores, req: 0, replicas: pods }], [capacity]);
      const hpa = resourceUtilizationReplicas(
        {
          type: 'Resource',
          target: 'Utilization',
          readyUsageCores: cores,
          readyPods: pods,
          unreadyPods: 0,
          missingPods: 0,
          podRequestCores: 0.2,
          averageUtilization: 70,
        },
        pods,
        HPA_DEFAULTS.tolerance,
      );
      expect(rec!.desiredReplicas, `${cores} cores on ${pods} pods`).to.equal(hpa.replicas);
    }
  });
});

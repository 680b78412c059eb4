import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { ServiceCapacity, ServicePolicy } from '../../../src/planning/index.js';
import type { ServiceCalibration } from '../../../src/forecast/calibration.js';
import { decide, type DecisionInputs } from '../../../src/planning/decide.js';
import type { CurrentUsage } from '../../../src/planning/planner.js';

const capacities: ServiceCapacity[] = [
  { service: 'web', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 },
  { service: 'api', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 },
];

/** A forecast of web's and api's CPU per 30 s step (req unknown). */
function forecastOf(web: readonly number[], api: readonly number[]): Forecast {
  const values = new Float32Array(web.length * 4).fill(Number.NaN);
  web.forEach((v, h) => {
    values[h * 4] = v;
    values[h * 4 + 2] = api[h]!;
  });
  return { model: 'test', issuedAt: 0, stepSeconds: 30, horizon: web.length, services: ['web', 'api'], targets: ['cpu_cores', 'req'], values };
}

function calibrated(cpu: number, req = 1): ServiceCalibration {
  const series = (correction: number) => ({ correction, level: 0.05, missRate: 0.05, judged: 100, scores: 100 });
  return { cpu_cores: series(cpu), req: series(req) };
}

const usage = (web: number, webPods: number, api = 0.4, apiPods = 1): CurrentUsage[] => [
  { service: 'web', cpuCores: web, req: Number.NaN, replicas: webPods },
  { service: 'api', cpuCores: api, req: Number.NaN, replicas: apiPods },
];

const policy =
  (scaleIn: ServicePolicy['scaleIn'] = 'forecast', risk = 0.05) =>
  (): ServicePolicy => ({ risk, scaleIn });

const base: DecisionInputs = {
  forecast: forecastOf([2, 2, 2, 2], [NaN, NaN, NaN, NaN]),
  usage: usage(1, 2, 1.2, 1),
  recentPeakUsage: [],
  capacities,
  lookAheadSteps: 2,
  scaleInSteps: 4,
  policy: policy(),
  calibration: new Map([['web', calibrated(1.3)]]),
};

const count = (inputs: DecisionInputs, service = 'web') => decide(inputs).find((r) => r.service === service)!;

describe('decision engine (planning/decide)', () => {
  it('sizes each service for its calibrated quantile: forecast peak × correction, rounded up to pods', () => {
    const web = count(base);
    // 2 cores × 1.3 / 0.5 = 5.2 → 6
    expect(web.desiredReplicas).to.equal(6);
    expect(web.reason).to.include({ kind: 'forecast', risk: 0.05, correction: 1.3, horizonStep: 0 });
    expect(web.reason.text).to.contain('× 1.3 (calibrated for risk 5%)');
  });

  it('plans only the look-ahead steps: a later spike does not count, a longer look-ahead reaches it', () => {
    const spiky = { ...base, forecast: forecastOf([1, 1, 4, 1], [NaN, NaN, NaN, NaN]), calibration: new Map([['web', calibrated(1)]]), usage: usage(0.5, 1) };
    expect(count(spiky).desiredReplicas).to.equal(2);
    expect(count({ ...spiky, lookAheadSteps: 3 }).desiredReplicas).to.equal(8);
  });

  it('a service the forecast left blank gets the reactive estimate; without a forecast every service does', () => {
    const api = count(base, 'api');
    // current 1.2 cores / 0.5 = 2.4 → 3, no correction (current usage)
    expect(api).to.deep.include({ desiredReplicas: 3 });
    expect(api.reason).to.include({ kind: 'reactive', risk: null, correction: 1 });
    expect(decide({ ...base, forecast: null }).map((r) => [r.service, r.desiredReplicas, r.reason.kind])).to.deep.equal([
      ['web', 2, 'reactive'],
      ['api', 3, 'reactive'],
    ]);
  });

  it('never below the reactive need of current demand: max(proactive, reactive)', () => {
    // The forecast says 1 core (× 1 → 2 pods) but web uses 3.2 cores on 5 pods now: 3.2 / 0.5 → 7.
    const low = { ...base, forecast: forecastOf([1, 1, 1, 1], [NaN, NaN, NaN, NaN]), calibration: new Map([['web', calibrated(1)]]), usage: usage(3.2, 5) };
    const web = count(low);
    expect(web.desiredReplicas).to.equal(7);
    expect(web.reason.kind).to.equal('reactive');
    expect(web.reason.text).to.contain("more than the forecast's 2");
    // With the floor the forecast's peak is still what /metrics shows as predicted.
    expect(web.peakCpuCores).to.equal(1);
  });

  describe('guarded scale-in (scaleIn)', () => {
    // 10 pods run; the look-ahead (2 steps) needs 2 pods; the trough ends at step 3 (3 cores → 6 pods).
    const trough: DecisionInputs = {
      ...base,
      forecast: forecastOf([0.8, 0.8, 3, 3], [NaN, NaN, NaN, NaN]),
      calibration: new Map([['web', calibrated(1)]]),
      usage: usage(0.6, 10),
      recentPeakUsage: usage(4, 10),
    };

    it('forecast: scales in only as far as the quantile over start-up + scale-down window allows', () => {
      const web = count({ ...trough, policy: policy('forecast') });
      expect(web.desiredReplicas).to.equal(6);
      expect(web.reason.kind).to.equal('scale-in-guard');
      expect(web.reason.text).to.contain('next 4 steps');
      // With a guard window that ends inside the trough, the scale-in goes through.
      expect(count({ ...trough, policy: policy('forecast'), scaleInSteps: 2 }).desiredReplicas).to.equal(2);
    });

    it('reactive: scales in only as far as the largest observed demand over the window allows', () => {
      const web = count({ ...trough, policy: policy('reactive') });
      expect(web.desiredReplicas).to.equal(8); // 4 cores observed / 0.5
      expect(web.reason.text).to.contain('largest observed demand');
    });

    it('never: keeps the running count', () => {
      const web = count({ ...trough, policy: policy('never') });
      expect(web.desiredReplicas).to.equal(10);
      expect(web.reason.kind).to.equal('scale-in-guard');
    });

    it('no mode holds a scale-out back, and the guard never raises the count above what runs', () => {
      for (const mode of ['forecast', 'reactive', 'never'] as const) {
        expect(count({ ...trough, usage: usage(0.6, 1), policy: policy(mode) }).desiredReplicas, mode).to.equal(2);
        // The guard window needs 6; 4 pods run: the count stays at 4, not 6 (scale-out is the look-ahead's job).
        expect(count({ ...trough, usage: usage(0.6, 4), policy: policy(mode) }).desiredReplicas, mode).to.equal(4);
      }
    });

    it('without a known running count there is nothing to guard', () => {
      expect(count({ ...trough, usage: usage(0.6, Number.NaN), policy: policy('never') }).desiredReplicas).to.equal(2);
    });
  });

  it('is a pure function: the same inputs give the same decision', () => {
    expect(decide(base)).to.deep.equal(decide(base));
  });
});

import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { ServiceCapacity } from '../../../src/planning/index.js';
import { decide, marginFor, type DecisionInputs } from '../../../src/planning/decide.js';

const capacities: ServiceCapacity[] = [
  { service: 'web', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 },
  { service: 'api', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 },
];

/** web forecast 2 cores for two 30 s steps; api all gaps (NaN). */
const forecast: Forecast = {
  model: 'test',
  issuedAt: 0,
  stepSeconds: 30,
  horizon: 2,
  services: ['web', 'api'],
  targets: ['cpu_cores', 'req'],
  values: Float32Array.from([2, NaN, NaN, NaN, 2, NaN, NaN, NaN]),
};

const inputs: DecisionInputs = {
  forecast,
  usage: [
    { service: 'web', cpuCores: 1, req: NaN, replicas: 2 },
    { service: 'api', cpuCores: 1.2, req: NaN, replicas: 1 },
  ],
  capacities,
  lookAheadSeconds: 60,
  policy: { margin: 0.1, maxMargin: 0.5 },
  recentError: new Map([['web', 0.3]]),
};

describe('decision engine (planning/decide)', () => {
  it('margin: the recent error, capped at maxMargin, never below the policy margin; the policy margin without a record', () => {
    const policy = { margin: 0.1, maxMargin: 0.5 };
    expect(marginFor('web', policy, new Map([['web', 0.3]]))).to.equal(0.3);
    expect(marginFor('web', policy, new Map([['web', 0.9]]))).to.equal(0.5);
    expect(marginFor('web', policy, new Map([['web', 0.02]]))).to.equal(0.1);
    expect(marginFor('web', policy, new Map())).to.equal(0.1);
  });

  it('plans from the forecast with each service’s margin; a service the forecast left blank gets the reactive estimate', () => {
    const [web, api] = decide(inputs);
    // 2 cores × 1.3 / 0.5 = 5.2 → 6
    expect(web).to.deep.include({ service: 'web', desiredReplicas: 6 });
    expect(web!.reason).to.include({ kind: 'forecast', margin: 0.3 });
    // api: current 1.2 cores / 0.5 = 2.4 → 3, no margin (reactive)
    expect(api).to.deep.include({ service: 'api', desiredReplicas: 3 });
    expect(api!.reason.kind).to.equal('reactive');
  });

  it('without a forecast every service gets the reactive estimate', () => {
    const recs = decide({ ...inputs, forecast: null });
    expect(recs.map((r) => [r.service, r.desiredReplicas, r.reason.kind])).to.deep.equal([
      ['web', 2, 'reactive'],
      ['api', 3, 'reactive'],
    ]);
  });

  it('is a pure function: the same inputs give the same decision', () => {
    expect(decide(inputs)).to.deep.equal(decide(inputs));
  });
});

import { expect } from 'chai';
import type { Forecast } from '../../../src/forecast/index.js';
import type { Recommendation } from '../../../src/planning/index.js';
import { ApiError } from '../../../src/serving/index.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { DecisionJournal, type ReplicaChange } from '../../../src/explain/journal.js';
import { renderExplanation } from '../../../src/explain/document.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function rec(service: string, desiredReplicas: number, demand: number, horizonStep = 1): Recommendation {
  return {
    service,
    desiredReplicas,
    peakCpuCores: demand,
    peakReq: Number.NaN,
    reason: {
      kind: 'forecast',
      driver: 'cpu_cores',
      horizonStep,
      demand,
      capacityPerPod: 0.5,
      risk: 0.05,
      correction: 1.1,
      text: `forecast step ${horizonStep + 1} cpu_cores ${demand} cores × 1.1 (calibrated for risk 5%) / 0.5 cores per pod = ${desiredReplicas} replicas`,
    },
  };
}

/** A forecast whose first step says `nextCpu` for web. */
function forecast(issuedAt: number, nextCpu: number): Forecast {
  return { model: 'holt', issuedAt, stepSeconds: 30, horizon: 2, services: ['web'], targets: ['cpu_cores'], values: Float32Array.from([nextCpu, nextCpu]) };
}

function snapshot(k: number, recommendations: Recommendation[], cpu: number, running: number, extra: Partial<AppSnapshot> = {}): AppSnapshot {
  const at = T0 + k * 30_000;
  return {
    app: 'shop',
    namespace: 'shop',
    computedAt: at + 500,
    dataTimestamp: at,
    stepSeconds: 30,
    state: { modelUsed: false, forecaster: 'holt', lastStepAt: at, stale: false, fallback: null, lastError: null },
    windowSeconds: 120,
    recommendations,
    forecast: forecast(at, cpu * 1.5),
    graph: null,
    observed: [{ service: 'web', cpuCores: cpu, req: Number.NaN, replicas: running }],
    preview: true,
    unavailableReason: null,
    ...extra,
  };
}

function setup(): { store: SnapshotStore; journal: DecisionJournal; changes: ReplicaChange[] } {
  const store = new SnapshotStore();
  const journal = new DecisionJournal(
    store,
    [
      {
        name: 'shop',
        namespace: 'shop',
        stepSeconds: 30,
        actuationSeconds: 30,
        capacities: [{ service: 'web', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 10 }],
      },
    ],
    { clock: () => T0, lastRetrain: () => ({ at: '2026-11-30T03:00:00Z', promoted: false, reason: 'candidate MAE 0.12 ≥ live 0.10' }) },
  );
  const changes: ReplicaChange[] = [];
  journal.onChange((c) => changes.push(c));
  return { store, journal, changes };
}

describe('decision journal and `deepscaler explain` output', () => {
  it('renders a fixed sequence of snapshots as the exact text explain prints', () => {
    const { store, journal } = setup();
    store.publishApp(snapshot(0, [rec('web', 2, 0.8)], 0.8, 2));
    store.publishApp(snapshot(1, [rec('web', 4, 1.6)], 1.2, 2));
    store.publishApp(snapshot(2, [rec('web', 4, 1.6)], 1.4, 4));
    const text = renderExplanation(journal.explain('shop'), T0 + 2 * 30_000 + 10_500);
    expect(text).to.equal(
      [
        'application shop in namespace shop: PREVIEW (computed and scored, not served to the HPA)',
        '  decided 10 s ago (2026-11-30T12:01:00.500Z) from data of 2026-11-30T12:01:00Z, step 30 s; forecaster holt',
        '  fallback: none (the forecast decides)',
        '  recent modes: forecast since 2026-11-30T12:00:00.500Z',
        '  last retrain 2026-11-30T03:00:00Z: kept the live model — candidate MAE 0.12 ≥ live 0.10',
        '  web: 4 replicas (was 2, changed 40 s ago)',
        '    why: forecast step 2 cpu_cores 1.6 cores × 1.1 (calibrated for risk 5%) / 0.5 cores per pod = 4 replicas [forecast, driver cpu_cores, 60 s ahead, risk 5%, correction ×1.1]',
        // The forecast made at step 1 said 1.8 for step 2; 1.4 happened.
        '    now: cpu 1.8 forecast vs 1.4 cores actual (+28.6%); peak ahead cpu 1.6 cores; running 4 replicas',
        // Delay 1 step: step 1 judged on the plan of step 0 (2 pods = 1.0 core < 1.2: short on both, 2 running);
        // step 2 on the plan of step 1 (4 pods), 4 running, 1.4 fits. 1 min scored.
        '    scorecard over 1 min: under-provisioned 0.5 min as run vs 0.5 min as planned; replica-hours 0.05 used vs 0.05 planned',
        '',
      ].join('\n'),
    );
  });

  it('reports each change of a service count once, with the count before it, and not while the app is unavailable', () => {
    const { store, changes } = setup();
    store.publishApp(snapshot(0, [rec('web', 2, 0.8)], 0.8, 2));
    store.publishApp(snapshot(1, [rec('web', 2, 0.8)], 0.8, 2));
    store.publishApp(snapshot(2, [], 0.8, 2, { unavailableReason: 'no data' }));
    store.publishApp(
      snapshot(3, [rec('web', 5, 2.1, 0)], 2.1, 2, {
        state: { modelUsed: false, forecaster: 'reactive', lastStepAt: T0, stale: true, fallback: 'reactive', lastError: null },
      }),
    );
    expect(changes.map((c) => [c.from, c.recommendation.desiredReplicas, c.horizonSeconds, c.fallback, c.preview])).to.deep.equal([
      [2, 5, 30, 'reactive', true],
    ]);
  });

  it('lists the recent fallback modes newest first and names the unavailable reason', () => {
    const { store, journal } = setup();
    store.publishApp(snapshot(0, [rec('web', 2, 0.8)], 0.8, 2));
    store.publishApp(snapshot(1, [], 0.8, 2, { unavailableReason: 'the newest data is 300 s old' }));
    const doc = journal.explain('shop');
    expect(doc.applications[0]!.recentModes.map((m) => [m.mode, m.reason])).to.deep.equal([
      ['unavailable', 'the newest data is 300 s old'],
      ['forecast', null],
    ]);
    expect(renderExplanation(doc, T0)).to.contain('fallback: unavailable: the newest data is 300 s old');
  });

  it('answers 404 for an unknown namespace or service and 503 before the first decision, as Kubernetes Status errors', () => {
    const { store, journal } = setup();
    const codeOf = (fn: () => unknown): number => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ApiError);
        return (err as ApiError).code;
      }
      throw new Error('expected an ApiError');
    };
    expect(codeOf(() => journal.explain('shop'))).to.equal(503);
    store.publishApp(snapshot(0, [rec('web', 2, 0.8)], 0.8, 2));
    expect(codeOf(() => journal.explain('other'))).to.equal(404);
    expect(codeOf(() => journal.explain('shop', 'db'))).to.equal(404);
    expect(journal.explain('shop', 'web').applications[0]!.services.map((s) => s.service)).to.deep.equal(['web']);
  });
});

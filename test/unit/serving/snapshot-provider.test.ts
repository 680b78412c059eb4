import { expect } from 'chai';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import type { Recommendation } from '../../../src/planning/index.js';
import { ApiError } from '../../../src/serving/index.js';
import { parseLabelSelector } from '../../../src/serving/selector.js';
import { DESIRED_REPLICAS_METRIC, PREDICTED_CPU_METRIC, PREDICTED_REQUESTS_METRIC, SnapshotMetricsProvider } from '../../../src/serving/snapshot-provider.js';

function rec(service: string, desiredReplicas: number, peakCpuCores: number, peakReq: number): Recommendation {
  return {
    service,
    desiredReplicas,
    peakCpuCores,
    peakReq,
    reason: { kind: 'forecast', driver: 'cpu_cores', horizonStep: 0, demand: peakCpuCores, capacityPerPod: 0.5, risk: 0.05, correction: 1, text: '' },
  };
}

function snapshot(
  app: string,
  namespace: string,
  recommendations: Recommendation[],
  unavailableReason: string | null = null,
  windowSeconds: number | null = 120,
): AppSnapshot {
  return {
    app,
    namespace,
    computedAt: 2_000,
    dataTimestamp: 1_000,
    stepSeconds: 30,
    state: { modelUsed: true, forecaster: 'm', lastStepAt: 1_000, stale: false, fallback: null, lastError: null },
    recommendations,
    windowSeconds,
    forecast: null,
    graph: null,
    observed: [],
    preview: false,
    unavailableReason,
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('snapshot metrics provider (what the HPA reads)', () => {
  const all = parseLabelSelector(undefined);

  function provider(...apps: AppSnapshot[]): SnapshotMetricsProvider {
    const store = new SnapshotStore();
    for (const a of apps) store.publishApp(a);
    const configured = new Map<string, string[]>();
    for (const a of apps) configured.set(a.namespace, [...(configured.get(a.namespace) ?? []), a.app]);
    return new SnapshotMetricsProvider(store, configured);
  }

  it('serves one item per service: desired replicas, predicted CPU and request rate, in milli-units rounded up', () => {
    const p = provider(snapshot('shop', 'shop', [rec('web', 4, 1.2341, 80), rec('api', 1, 0.2, 5)]));
    const desired = p.getValues('shop', DESIRED_REPLICAS_METRIC, all);
    expect(desired.map((v) => [v.metricLabels['service'], v.milliValue])).to.deep.equal([
      ['web', 4000],
      ['api', 1000],
    ]);
    // The window is the look-ahead the snapshot says the plan read, not recomputed from configuration.
    expect(desired[0]).to.include({ timestamp: 1_000, windowSeconds: 120 });
    const reactive = provider(snapshot('shop', 'shop', [rec('web', 4, 1.2341, 80)], null, null)).getValues('shop', DESIRED_REPLICAS_METRIC, all);
    expect(reactive[0]).to.not.have.property('windowSeconds');
    expect(desired[0]!.metricLabels).to.deep.equal({ service: 'web', app: 'shop' });
    // Rounded up like the HPA's MilliValue(): 1.2341 cores is 1235m, never 1234m (less than predicted).
    expect(p.getValues('shop', PREDICTED_CPU_METRIC, all)[0]!.milliValue).to.equal(1235);
    expect(p.getValues('shop', PREDICTED_CPU_METRIC, all)[1]!.milliValue).to.equal(200);
    expect(p.getValues('shop', PREDICTED_REQUESTS_METRIC, all)[1]!.milliValue).to.equal(5000);
  });

  it('serves nothing of an application in preview mode: a 404 that names preview mode, while other apps of the namespace are served', () => {
    const preview = { ...snapshot('trial', 'shop', [rec('web', 4, 1, 1)]), preview: true };
    const p = provider(preview, snapshot('live', 'shop', [rec('api', 2, 1, 1)]));
    expect(p.getValues('shop', DESIRED_REPLICAS_METRIC, all).map((v) => v.metricLabels['service'])).to.deep.equal(['api']);
    const err = apiError(() => p.getValues('shop', DESIRED_REPLICAS_METRIC, parseLabelSelector('service=web')));
    expect(err.code).to.equal(404);
    expect(err.message).to.match(/application "trial" in namespace "shop" is in preview mode/);
  });

  it('the HPA selector service=<name> gets exactly one item', () => {
    const p = provider(snapshot('shop', 'shop', [rec('web', 4, 1, 1), rec('api', 1, 1, 1)]));
    const items = p.getValues('shop', DESIRED_REPLICAS_METRIC, parseLabelSelector('service=api'));
    expect(items).to.have.length(1);
    expect(items[0]!.milliValue).to.equal(1000);
  });

  it('lists its metric names for discovery, never empty', () => {
    expect(provider().listMetrics()).to.deep.equal([DESIRED_REPLICAS_METRIC, PREDICTED_CPU_METRIC, PREDICTED_REQUESTS_METRIC]);
  });

  it('404 for an unknown metric or namespace, or a selector that matches nothing, naming what exists', () => {
    const p = provider(snapshot('shop', 'shop', [rec('web', 4, 1, 1)]));
    const metric = apiError(() => p.getValues('shop', 'cpu', all));
    expect(metric.code).to.equal(404);
    expect(metric.message).to.contain(DESIRED_REPLICAS_METRIC);
    const ns = apiError(() => p.getValues('bank', DESIRED_REPLICAS_METRIC, all));
    expect(ns.code).to.equal(404);
    expect(ns.message).to.contain('configured namespaces: shop');
    const none = apiError(() => p.getValues('shop', DESIRED_REPLICAS_METRIC, parseLabelSelector('service=db')));
    expect(none.code).to.equal(404);
    expect(none.message).to.contain('services with values: web');
  });

  it('503 with the reason when the application refuses to serve (stale data, policy unavailable)', () => {
    const p = provider(snapshot('shop', 'shop', [], 'the newest data is 200 s old; the HPA holds the current scale'));
    const err = apiError(() => p.getValues('shop', DESIRED_REPLICAS_METRIC, all));
    expect(err.code).to.equal(503);
    expect(err.message).to.contain('predictions for application "shop" are withheld: the newest data is 200 s old');
  });

  it('503 (retry), not 404, for a configured application that has not published yet', () => {
    const store = new SnapshotStore();
    const p = new SnapshotMetricsProvider(store, new Map([['shop', ['shop']]]));
    const err = apiError(() => p.getValues('shop', DESIRED_REPLICAS_METRIC, all));
    expect(err.code).to.equal(503);
    expect(err.message).to.contain('starting');
  });

  it('merges the applications that share a namespace', () => {
    const p = provider(snapshot('a', 'shop', [rec('web', 2, 1, 1)]), snapshot('b', 'shop', [rec('db', 3, 1, 1)]));
    expect(p.getValues('shop', DESIRED_REPLICAS_METRIC, all).map((v) => v.metricLabels['app'])).to.deep.equal(['a', 'b']);
  });

  it('skips a value that is unknown (NaN) instead of serving 0', () => {
    const p = provider(snapshot('shop', 'shop', [rec('web', 2, Number.NaN, 1), rec('api', 1, 0.5, 1)]));
    expect(p.getValues('shop', PREDICTED_CPU_METRIC, all).map((v) => v.metricLabels['service'])).to.deep.equal(['api']);
  });
});

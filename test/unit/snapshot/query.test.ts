import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { toStatus } from '../../../src/grpc/calls.js';
import { resolveScalerTarget } from '../../../src/grpc/scaled-object.js';
import type { ScaledObjectRef } from '../../../src/grpc/messages.js';
import { ApiError } from '../../../src/serving/index.js';
import { DESIRED_REPLICAS_METRIC, SnapshotMetricsProvider } from '../../../src/serving/snapshot-provider.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { assertServable, findApp, SnapshotRefusal } from '../../../src/snapshot/query.js';
import { createLogger } from '../../../src/telemetry/log.js';

function app(spec: Partial<AppSnapshot> = {}): AppSnapshot {
  return {
    app: 'shop',
    namespace: 'shop',
    computedAt: 2_000,
    dataTimestamp: 1_000,
    stepSeconds: 30,
    state: { modelUsed: true, forecaster: 'm', lastStepAt: 1_000, stale: false, fallback: null, lastError: null },
    windowSeconds: 120,
    recommendations: [
      {
        service: 'web',
        desiredReplicas: 3,
        peakCpuCores: 1,
        peakReq: 10,
        reason: { kind: 'forecast', driver: 'cpu_cores', horizonStep: 0, demand: 1, capacityPerPod: 0.5, risk: 0.05, correction: 1, text: '' },
      },
    ],
    forecast: null,
    graph: null,
    observed: [],
    preview: false,
    unavailableReason: null,
    ...spec,
  };
}

function refusal(fn: () => unknown): SnapshotRefusal {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(SnapshotRefusal);
    return err as SnapshotRefusal;
  }
  throw new Error('expected a SnapshotRefusal');
}

/** The same state asked over HTTP (the provider's ApiError) and gRPC (KEDA's GetMetrics path). */
function bothTransports(snapshot: AppSnapshot): { http: ApiError; grpc: grpc.ServerErrorResponse } {
  const store = new SnapshotStore();
  store.publishApp(snapshot);
  const provider = new SnapshotMetricsProvider(store, new Map([['shop', ['shop']]]));
  let http: ApiError | undefined;
  try {
    provider.getValues('shop', DESIRED_REPLICAS_METRIC, () => true);
  } catch (err) {
    http = err as ApiError;
  }
  const ref: ScaledObjectRef = { name: 'web', namespace: 'shop', scalerMetadata: { service: 'web' } };
  let status: grpc.ServerErrorResponse | undefined;
  try {
    resolveScalerTarget(ref, store);
  } catch (err) {
    status = toStatus(
      err,
      createLogger({}, () => undefined),
      'GetMetrics',
    );
  }
  expect(http, 'HTTP refused').to.be.instanceOf(ApiError);
  expect(status, 'gRPC refused').to.not.equal(undefined);
  return { http: http!, grpc: status! };
}

describe('the snapshot query every API asks', () => {
  it('names the served applications when asked for an unknown one', () => {
    const store = new SnapshotStore();
    store.publishApp(app());
    const err = refusal(() => findApp(store, 'bank'));
    expect([err.kind, err.message]).to.deep.equal(['not-found', 'application "bank" is not served by this adapter; served applications: shop']);
  });

  it('refuses withheld values before preview ones (retry later), and preview values for autoscalers', () => {
    const both = refusal(() => assertServable(app({ unavailableReason: 'stale', preview: true })));
    expect([both.kind, both.retryAfterSeconds]).to.deep.equal(['unavailable', 30]);
    expect(refusal(() => assertServable(app({ preview: true }))).kind).to.equal('preview');
    expect(() => assertServable(app())).to.not.throw();
  });

  it('HTTP and gRPC refuse withheld values with one message: 503 with Retry-After, UNAVAILABLE', () => {
    const { http, grpc: status } = bothTransports(app({ unavailableReason: 'the newest data is 200 s old' }));
    expect([http.code, http.reason, http.retryAfterSeconds]).to.deep.equal([503, 'ServiceUnavailable', 30]);
    expect(status.code).to.equal(grpc.status.UNAVAILABLE);
    expect(status.message).to.equal(http.message);
    expect(http.message).to.equal('predictions for application "shop" are withheld: the newest data is 200 s old; they return once fresh data arrives');
  });

  it('HTTP and gRPC refuse preview values with one message: 404 (nothing for an HPA), FAILED_PRECONDITION', () => {
    const { http, grpc: status } = bothTransports(app({ preview: true }));
    expect([http.code, http.reason]).to.deep.equal([404, 'NotFound']);
    expect(status.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(status.message).to.equal(http.message);
    expect(http.message).to.match(/^application "shop" in namespace "shop" is in preview mode/);
  });
});

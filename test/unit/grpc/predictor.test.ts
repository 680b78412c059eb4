import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { Forecast } from '../../../src/forecast/index.js';
import type { ListApplicationsResponse, PredictionMessage } from '../../../src/grpc/messages.js';
import { appSnapshot, rejection, startHarness, stream, unary, type Harness } from './support.js';
import { eventually } from '../../support/eventually.js';

/** Two steps × two services × targets [req, cpu_cores]; cpu of frontend at step 1 unknown (NaN). */
const forecast: Forecast = {
  model: 'deepscaler-gnn',
  issuedAt: 1_700_000_000_000,
  stepSeconds: 60,
  horizon: 2,
  services: ['cart', 'frontend'],
  targets: ['req', 'cpu_cores'],
  values: Float32Array.from([
    // h=0: cart req, cart cpu, frontend req, frontend cpu
    10,
    1.5,
    20,
    2.5,
    // h=1
    12,
    1.75,
    24,
    Number.NaN,
  ]),
};

const graph = { services: ['cart', 'frontend'], adjacency: Float32Array.from([0, 0.25, 0.75, 0]) };

describe('gRPC predictor service', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('ListApplications lists every application with its state', async () => {
    h.store.publishApp(appSnapshot());
    h.store.publishApp(appSnapshot({ app: 'bank', namespace: 'bank', replicas: { ledger: 1 }, unavailableReason: 'stale data' }));
    const list = await unary<ListApplicationsResponse>(h.clients.predictor, 'ListApplications', {});
    expect(list.applications.map((a) => [a.name, a.namespace, a.services, a.unavailableReason])).to.deep.equal([
      ['boutique', 'shop', ['cart', 'frontend'], ''],
      ['bank', 'bank', ['ledger'], 'stale data'],
    ]);
    expect(list.applications[0]).to.include({
      forecaster: 'deepscaler-gnn',
      modelLoaded: true,
      stale: false,
      fallback: '',
      computedAtMs: 1_700_000_060_000,
      dataTimestampMs: 1_700_000_000_000,
      stepSeconds: 60,
    });
  });

  it('ListApplications is empty before the first publish', async () => {
    expect(await unary(h.clients.predictor, 'ListApplications', {})).to.deep.equal({ applications: [] });
  });

  it('GetPrediction returns the forecast per horizon step with CPU and request rate, an unknown value left absent', async () => {
    h.store.publishApp(appSnapshot({ forecast, graph }));
    const p = await unary<PredictionMessage>(h.clients.predictor, 'GetPrediction', { application: 'boutique' });
    expect(p.snapshotVersion).to.equal(1);
    expect(p.forecasts).to.deep.equal([
      {
        service: 'cart',
        steps: [
          { step: 0, atMs: 1_700_000_060_000, cpuCores: 1.5, requestRate: 10 },
          { step: 1, atMs: 1_700_000_120_000, cpuCores: 1.75, requestRate: 12 },
        ],
      },
      {
        service: 'frontend',
        steps: [
          { step: 0, atMs: 1_700_000_060_000, cpuCores: 2.5, requestRate: 20 },
          { step: 1, atMs: 1_700_000_120_000, requestRate: 24 },
        ],
      },
    ]);
  });

  it('GetPrediction returns desired replicas with the full reason, and the learned graph', async () => {
    h.store.publishApp(appSnapshot({ forecast, graph }));
    const p = await unary<PredictionMessage>(h.clients.predictor, 'GetPrediction', { application: 'boutique' });
    expect(p.recommendations[0]).to.deep.equal({
      service: 'cart',
      desiredReplicas: 3,
      peakCpuCores: 1.5, // peak request rate is unknown (NaN) in the snapshot, so absent
      reason: {
        kind: 'forecast',
        driver: 'cpu_cores',
        horizonStep: 2,
        demand: 1.5,
        capacityPerPod: 0.5,
        margin: 0.25,
        risk: 0.05,
        correction: 1.25,
        text: 'cart: peak 0.5 cores/pod × 3 at step 2',
      },
    });
    expect(p.graph).to.deep.equal({ services: ['cart', 'frontend'], adjacency: [0, 0.25, 0.75, 0] });
  });

  it('GetPrediction: NOT_FOUND for an unknown application, UNAVAILABLE for a withheld one', async () => {
    h.store.publishApp(appSnapshot({ unavailableReason: 'no data for 10 min' }));
    const missing = await rejection(unary(h.clients.predictor, 'GetPrediction', { application: 'nope' }));
    expect([missing.code, missing.details]).to.deep.equal([
      grpc.status.NOT_FOUND,
      'application "nope" is not served by this adapter; served applications: boutique',
    ]);
    const withheld = await rejection(unary(h.clients.predictor, 'GetPrediction', { application: 'boutique' }));
    expect(withheld.code).to.equal(grpc.status.UNAVAILABLE);
    expect(withheld.details).to.match(/withheld: no data for 10 min/);
  });

  describe('WatchPredictions', () => {
    it('sends the current prediction, then each publish of the watched application only', async () => {
      h.store.publishApp(appSnapshot());
      const s = stream<PredictionMessage>(h.clients.predictor, 'WatchPredictions', { application: 'boutique' });
      expect((await s.next(0)).recommendations.map((r) => r.desiredReplicas)).to.deep.equal([3, 2]);
      h.store.publishApp(appSnapshot({ app: 'bank', namespace: 'bank' }));
      h.store.publishApp(appSnapshot({ replicas: { cart: 9, frontend: 2 } }));
      const update = await s.next(1);
      expect([update.snapshotVersion, update.recommendations[0]!.desiredReplicas]).to.deep.equal([3, 9]);
      // The server's clean end travels the stream after anything it wrote: a barrier, not a sleep.
      await h.server.close();
      expect((await s.end()).code).to.equal(grpc.status.OK);
      expect(s.messages).to.have.length(2);
    });

    it('with no application named, sends every application and later newcomers', async () => {
      h.store.publishApp(appSnapshot());
      const s = stream<PredictionMessage>(h.clients.predictor, 'WatchPredictions', {});
      expect((await s.next(0)).application.name).to.equal('boutique');
      h.store.publishApp(appSnapshot({ app: 'bank', namespace: 'bank' }));
      expect((await s.next(1)).application.name).to.equal('bank');
      s.call.cancel();
    });

    it('sends a withheld application with its state and no values', async () => {
      h.store.publishApp(appSnapshot({ forecast, graph }));
      const s = stream<PredictionMessage>(h.clients.predictor, 'WatchPredictions', { application: 'boutique' });
      await s.next(0);
      h.store.publishApp(appSnapshot({ forecast, graph, unavailableReason: 'stale' }));
      const withheld = await s.next(1);
      expect(withheld.application.unavailableReason).to.equal('stale');
      expect([withheld.forecasts, withheld.recommendations, withheld.graph]).to.deep.equal([[], [], null]);
      s.call.cancel();
    });

    it('refuses an unknown application with NOT_FOUND without subscribing', async () => {
      const end = await stream(h.clients.predictor, 'WatchPredictions', { application: 'nope' }).end();
      expect(end.code).to.equal(grpc.status.NOT_FOUND);
      expect(h.store.listenerCount).to.equal(0);
    });

    it('releases its store subscription when the client cancels', async () => {
      h.store.publishApp(appSnapshot());
      const s = stream<PredictionMessage>(h.clients.predictor, 'WatchPredictions', {});
      await s.next(0);
      s.call.cancel();
      await eventually(() => h.store.listenerCount === 0, 'the watch unsubscribed');
    });
  });
});

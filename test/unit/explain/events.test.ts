import { expect } from 'chai';
import * as k8s from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { DeploymentsApi } from '../../../src/kube/deployments.js';
import type { EventsApi } from '../../../src/kube/events.js';
import type { Recommendation } from '../../../src/planning/index.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { DecisionJournal } from '../../../src/explain/journal.js';
import { REASON_CHANGED, REASON_PREVIEW, ReplicaEvents } from '../../../src/explain/events.js';
import { createLogger } from '../../../src/telemetry/log.js';

function rec(desiredReplicas: number): Recommendation {
  return {
    service: 'web',
    desiredReplicas,
    peakCpuCores: desiredReplicas * 0.5,
    peakReq: Number.NaN,
    reason: {
      kind: 'forecast',
      driver: 'cpu_cores',
      horizonStep: 2,
      demand: desiredReplicas * 0.45,
      capacityPerPod: 0.5,
      risk: 0.05,
      correction: 1.1,
      text: `why ${desiredReplicas}`,
    },
  };
}

let k = 0;
function snapshot(desired: number, preview = false): AppSnapshot {
  k += 1;
  return {
    app: 'shop',
    namespace: 'shop',
    computedAt: 1_000_000 + k * 1000,
    dataTimestamp: 1_000_000 + k * 1000,
    stepSeconds: 30,
    state: { modelUsed: true, forecaster: 'deepscaler-gnn', lastStepAt: 0, stale: false, fallback: null, lastError: null },
    windowSeconds: 120,
    recommendations: [rec(desired)],
    forecast: null,
    graph: null,
    observed: [],
    preview,
    unavailableReason: null,
  };
}

/** Records every create; `next()` resolves with the next one (or one already made and not yet taken). */
class FakeEvents {
  readonly created: k8s.CoreV1Event[] = [];
  private taken = 0;
  private waiter: (() => void) | null = null;
  answer: () => Promise<void> = async () => undefined;
  readonly api: EventsApi = {
    createNamespacedEvent: (async (req: { namespace: string; body: k8s.CoreV1Event }) => {
      await this.answer();
      this.created.push(req.body);
      this.waiter?.();
      return req.body;
    }) as unknown as EventsApi['createNamespacedEvent'],
  };

  async next(): Promise<k8s.CoreV1Event> {
    while (this.created.length <= this.taken) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.created[this.taken++]!;
  }
}

const deployments = {
  readNamespacedDeployment: async () => ({ metadata: { name: 'web', namespace: 'shop', uid: 'uid-web' }, spec: { selector: {}, template: {} } }),
} as unknown as DeploymentsApi;

function setup(minIntervalMs: number, clock: () => number = Date.now) {
  const store = new SnapshotStore();
  const journal = new DecisionJournal(store, [
    {
      name: 'shop',
      namespace: 'shop',
      stepSeconds: 30,
      actuationSeconds: 30,
      capacities: [{ service: 'web', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 20 }],
    },
  ]);
  const fake = new FakeEvents();
  const registry = new Registry();
  const events = new ReplicaEvents(journal, { events: fake.api, deployments, minIntervalMs, logger: createLogger({}, () => {}), registry, clock });
  return { store, fake, events, registry };
}

describe('replica-change Events on the Deployment', () => {
  it('writes one Event on the Deployment (by uid) saying from → to, reason, driver, horizon, demand, risk and correction', async () => {
    const { store, fake, events } = setup(60_000);
    store.publishApp(snapshot(2));
    store.publishApp(snapshot(5));
    const event = await fake.next();
    events.close();
    expect(event.involvedObject).to.deep.equal({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop', uid: 'uid-web' });
    expect(event.reason).to.equal(REASON_CHANGED);
    expect(event.type).to.equal('Normal');
    expect(event.message).to.equal(
      'desired replicas 2 → 5: why 5 [reason forecast, driver cpu_cores, horizon 90 s ahead, demand 2.25 cores, 0.5 cores per pod, risk 5%, correction ×1.1, forecaster deepscaler-gnn; app shop]',
    );
  });

  it('holds changes inside the interval and then reports only the newest count, once', async () => {
    let now = 0;
    const { store, fake, events, registry } = setup(80, () => now);
    store.publishApp(snapshot(2));
    store.publishApp(snapshot(5)); // reported at once
    expect((await fake.next()).message).to.match(/^desired replicas 2 → 5:/);
    now = 10;
    store.publishApp(snapshot(7)); // held
    store.publishApp(snapshot(6)); // replaces the held one
    now = 100;
    const second = await fake.next();
    expect(second.message).to.match(/^desired replicas 5 → 6:/);
    expect(fake.created).to.have.length(2);
    const held = (await registry.getSingleMetric('deepscaler_replica_events_total')!.get()).values.find((v) => v.labels['result'] === 'held');
    expect(held?.value).to.equal(2);
    events.close();
  });

  it('writes nothing when the count returns to the reported one inside the interval', async () => {
    let now = 0;
    const { store, fake, events, registry } = setup(40, () => now);
    store.publishApp(snapshot(2));
    store.publishApp(snapshot(5));
    await fake.next();
    now = 5;
    store.publishApp(snapshot(8));
    store.publishApp(snapshot(5)); // back to what was reported: the held change is moot
    const metric = registry.getSingleMetric('deepscaler_replica_events_total')!;
    while ((await metric.get()).values.find((v) => v.labels['result'] === 'unchanged') === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fake.created).to.have.length(1);
    now = 50;
    store.publishApp(snapshot(9)); // the interval is over: reported at once, from 5
    expect((await fake.next()).message).to.match(/^desired replicas 5 → 9:/);
    events.close();
  });

  it('marks preview changes as not served, and counts a 409 from a second adapter replica as a duplicate', async () => {
    const { store, fake, events, registry } = setup(60_000);
    fake.answer = async () => {
      throw new k8s.ApiException(409, 'Conflict', '{"kind":"Status","reason":"AlreadyExists"}', {});
    };
    store.publishApp(snapshot(2, true));
    store.publishApp(snapshot(3, true));
    const metric = registry.getSingleMetric('deepscaler_replica_events_total')!;
    let duplicate: number | undefined;
    while (duplicate === undefined) {
      await new Promise((resolve) => setImmediate(resolve));
      duplicate = (await metric.get()).values.find((v) => v.labels['result'] === 'duplicate')?.value;
    }
    expect(duplicate).to.equal(1);
    fake.answer = async () => undefined;
    events.close();
    // The message and reason it would have carried:
    const { store: s2, fake: f2, events: e2 } = setup(60_000);
    s2.publishApp(snapshot(2, true));
    s2.publishApp(snapshot(3, true));
    const event = await f2.next();
    e2.close();
    expect(event.reason).to.equal(REASON_PREVIEW);
    expect(event.message).to.match(/^preview \(not served\): would scale 2 → 3:/);
  });
});

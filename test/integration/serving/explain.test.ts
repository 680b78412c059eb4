import { expect } from 'chai';
import * as k8s from '@kubernetes/client-node';
import { explain, explainPath } from '../../../src/cli/explain.js';
import { DecisionJournal } from '../../../src/explain/journal.js';
import type { Explanation } from '../../../src/explain/document.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { startHarness, type Harness } from './harness.js';
import type { KeyPairPem } from '../../support/pki.js';

function snapshot(): AppSnapshot {
  const now = Date.now();
  return {
    app: 'shop',
    namespace: 'shop',
    computedAt: now,
    dataTimestamp: now,
    stepSeconds: 30,
    state: { modelUsed: false, forecaster: 'holt', lastStepAt: now, stale: false, fallback: null, lastError: null },
    windowSeconds: 120,
    recommendations: [
      {
        service: 'web',
        desiredReplicas: 3,
        peakCpuCores: 1.4,
        peakReq: Number.NaN,
        reason: {
          kind: 'forecast',
          driver: 'cpu_cores',
          horizonStep: 1,
          demand: 1.4,
          capacityPerPod: 0.5,
          risk: 0.05,
          correction: 1,
          text: 'forecast step 2 cpu_cores 1.4 cores / 0.5 cores per pod = 3 replicas',
        },
      },
    ],
    forecast: null,
    graph: null,
    observed: [{ service: 'web', cpuCores: 1.2, req: Number.NaN, replicas: 3 }],
    preview: false,
    unavailableReason: null,
  };
}

/** A kubeconfig pointing straight at the test server with a client certificate, as `serve` writes one. */
function kubeconfig(h: Harness, as: KeyPairPem): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: h.server.url, caData: b64(h.pki.servingCa.cert) }],
    users: [{ name: 'u', certData: b64(as.cert), keyData: b64(as.key) }],
    contexts: [{ name: 'local', cluster: 'local', user: 'u' }],
    currentContext: 'local',
  });
  return kc;
}

describe('the explain route over HTTPS, authorized like the metric API', function () {
  let h: Harness;
  const store = new SnapshotStore();
  const journal = new DecisionJournal(store, [
    {
      name: 'shop',
      namespace: 'shop',
      stepSeconds: 30,
      actuationSeconds: 30,
      capacities: [{ service: 'web', cpuPerPodCores: 0.5, minReplicas: 1, maxReplicas: 10 }],
    },
  ]);

  before(async () => {
    store.publishApp(snapshot());
    h = await startHarness({
      explainer: journal,
      authorize: (spec) => ({ allowed: spec.user === 'alice' && spec.resourceAttributes?.resource === 'deepscaler-explain' }),
    });
  });
  after(async () => {
    journal.close();
    await h?.close();
  });

  it('asks SubjectAccessReview for list (namespace) or get (one service) on resource deepscaler-explain, and answers the JSON document', async () => {
    const res = await h.get(explainPath('shop', 'web'), h.pki.alice);
    expect(res.status, res.text).to.equal(200);
    const doc = res.json() as unknown as Explanation;
    expect(doc.kind).to.equal('DeepScalerExplanation');
    expect(doc.applications[0]!.services[0]!.reason.text).to.equal('forecast step 2 cpu_cores 1.4 cores / 0.5 cores per pod = 3 replicas');
    expect(h.fake.accessReviews.at(-1)!.resourceAttributes).to.deep.include({
      namespace: 'shop',
      verb: 'get',
      group: 'external.metrics.k8s.io',
      resource: 'deepscaler-explain',
    });
    expect((await h.get(explainPath('shop'), h.pki.alice)).status).to.equal(200);
    expect(h.fake.accessReviews.at(-1)!.resourceAttributes).to.deep.include({ verb: 'list', resource: 'deepscaler-explain' });
  });

  it('refuses anonymous callers and callers without RBAC with a 403 Status', async () => {
    const anonymous = await h.get(explainPath('shop'));
    expect(anonymous.status).to.equal(403); // anonymous is authenticated as system:anonymous, and the review denies it
    const front = await h.get(explainPath('shop'), h.pki.frontProxy, { 'x-remote-user': 'mallory' });
    expect(front.status).to.equal(403);
    expect(front.json()).to.deep.include({ kind: 'Status', reason: 'Forbidden' });
    expect(String(front.json()['message'])).to.match(/User "mallory" cannot list resource "deepscaler-explain"/);
  });

  it('`deepscaler explain` prints the served decision and its reason through a kubeconfig, and says what the Status said on errors', async () => {
    const text = await explain(kubeconfig(h, h.pki.alice), 'shop', undefined, 'text');
    expect(text).to.contain('application shop in namespace shop: serving');
    expect(text).to.contain('  web: 3 replicas');
    expect(text).to.contain(
      'why: forecast step 2 cpu_cores 1.4 cores / 0.5 cores per pod = 3 replicas [forecast, driver cpu_cores, 60 s ahead, risk 5%, correction ×1]',
    );
    const err = await explain(kubeconfig(h, h.pki.alice), 'shop', 'db', 'text').catch((e: unknown) => e as Error);
    expect((err as Error).message).to.equal(`${h.server.url} answered 404: service "db" is not scaled by deepscaler in namespace "shop" (services: web)`);
    const json = JSON.parse(await explain(kubeconfig(h, h.pki.alice), 'shop', 'web', 'json')) as Explanation;
    expect(json.applications[0]!.services[0]!.desiredReplicas).to.equal(3);
  });
});

/**
 * In-cluster mode without a cluster: the serving loop reading a real Prometheus (Debian's package)
 * that holds backfilled synthetic cAdvisor / kube-state-metrics / Istio series. The loop's clock is
 * set inside the backfilled window; one step must warm up history with a range query, read the
 * current frame, forecast (Holt) and publish desired replicas that cover the true demand.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { parseServeConfig } from '../../../src/config/schema.js';
import { ServingLoop } from '../../../src/loop/index.js';
import { SnapshotStore } from '../../../src/snapshot/index.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { startPrometheus, type RunningPrometheus } from '../../support/prometheus.js';
import { SHOP, syntheticMetrics, type SyntheticMetrics } from '../../support/synthetic-metrics.js';
import { metricValue } from '../../unit/loop/support.js';

const STEP = 30;
const STEPS = 240;
const START = Date.parse('2024-04-06T11:30:00Z');
/** The loop's "now": step 200 of the backfilled window, mid-step. */
const NOW_STEP = 200;

describe('serving loop on a real Prometheus', function () {
  this.timeout(180_000);
  let prometheus: RunningPrometheus | undefined;
  let synthetic: SyntheticMetrics;

  before(async () => {
    synthetic = syntheticMetrics(SHOP, { startMs: START, steps: STEPS, stepSeconds: STEP, scrapeSeconds: 15 });
    prometheus = await startPrometheus({ openMetrics: synthetic.openMetrics });
  });
  after(async () => {
    await prometheus?.stop();
  });

  it('warms up from history, reads the current step and serves replicas that cover its demand', async () => {
    const config = parseServeConfig(
      {
        applications: [
          {
            name: 'shop',
            namespace: SHOP.namespace,
            services: SHOP.services.map((s) => s.name),
            source: { kind: 'prometheus', url: prometheus!.url, warmupSteps: 60 },
            stepSeconds: STEP,
            capacity: { targetUtilization: 0.5 },
            serviceOverrides: Object.fromEntries(SHOP.services.map((s) => [s.name, { cpuRequestCores: s.cpuRequestCores }])),
            // The raw forecast: the calibration pinned at 1.
            calibration: { minCorrection: 1, maxCorrection: 1 },
          },
        ],
      },
      '/',
    );
    const offset = Date.now() - (START + NOW_STEP * STEP * 1000 + 10_000);
    const store = new SnapshotStore();
    const registry = new Registry();
    const loop = await ServingLoop.create(config, { store, registry, logger: createLogger({}, () => {}), clock: () => Date.now() - offset });
    try {
      await loop.start();
      const snap = store.current().apps.get('shop')!;
      expect(snap.state).to.include({ fallback: null, stale: false, forecaster: 'holt', lastError: null });
      const truth = synthetic.truth[NOW_STEP]!.services;
      for (const service of SHOP.services) {
        const observed = await metricValue(registry, 'deepscaler_actual_demand', { service: service.name, feature: 'cpu_cores' });
        expect(observed, `${service.name} cpu_cores read from Prometheus`).to.be.closeTo(truth.get(service.name)!.cpu_cores, 1e-4);
        const rec = snap.recommendations.find((r) => r.service === service.name)!;
        // Enough pods at 50 % of the request for the current demand (Holt on a smooth wave is close to it).
        const needed = truth.get(service.name)!.cpu_cores / (service.cpuRequestCores * 0.5);
        expect(rec.desiredReplicas, `${service.name}: ${rec.reason.text}`).to.be.at.least(Math.floor(needed * 0.8));
      }
    } finally {
      await loop.stop();
    }
  });
});

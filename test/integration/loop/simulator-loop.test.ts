/**
 * The closed loop without a cluster: the simulated Online Boutique is scaled by HPAs that read the
 * adapter's own served values (AverageValue 1), as a cluster's HPAs would read the API.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parseServeConfig } from '../../../src/config/schema.js';
import { ServingLoop } from '../../../src/loop/index.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { metricValue } from '../../unit/loop/support.js';
import { eventually } from '../../support/eventually.js';

const DATA = fileURLToPath(new URL('../../../../data/', import.meta.url));
const SERVICES = ['frontend', 'cartservice', 'currencyservice', 'productcatalogservice'];

describe('serving loop driving the simulated application (closed loop)', function () {
  this.timeout(60_000);

  it('the simulated replicas follow the desired replicas the adapter serves', async () => {
    const config = parseServeConfig(
      {
        applications: [
          {
            name: 'sim',
            namespace: 'sim',
            services: SERVICES,
            source: {
              kind: 'simulator',
              trace: `${DATA}traces/worldcup98-per-minute.csv`,
              peakRequestsPerSecond: 150,
              stepIntervalSeconds: 0.1,
              warmupSteps: 30,
            },
            topology: `${DATA}topologies/online-boutique.yaml`,
            maxReplicas: 40,
            // More than cartservice's CPU needs: only an HPA reading the served value goes there.
            serviceOverrides: { cartservice: { minReplicas: 6 } },
          },
        ],
      },
      '/',
    );
    const store = new SnapshotStore();
    const registry = new Registry();
    const published: AppSnapshot[] = [];
    store.subscribe((s) => published.push(s.apps.get('sim')!));
    const loop = await ServingLoop.create(config, { store, registry, logger: createLogger({}, () => {}) });
    try {
      await loop.start();
      await eventually(() => published.length >= 40, '40 steps', 30_000);
      // Stopped first, so no step runs between reading what was served and what the simulation runs.
      await loop.stop();
      const recent = published.slice(-12);
      for (const service of SERVICES) {
        const current = await metricValue(registry, 'deepscaler_current_replicas', { service });
        const served = recent.map((s) => s.recommendations.find((r) => r.service === service)!.desiredReplicas);
        // Pods take 30–60 s (1–2 steps) to start: the current count is one the adapter served lately.
        expect(served, `${service}: simulated ${current} replicas`).to.include(current);
      }
      expect(await metricValue(registry, 'deepscaler_current_replicas', { service: 'cartservice' })).to.equal(6);
    } finally {
      await loop.stop();
    }
  });
});

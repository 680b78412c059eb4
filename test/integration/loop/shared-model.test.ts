/**
 * Applications that load the same model folder share one model worker (one thread, one copy of the
 * model): at 40 GNN applications a worker each cost 2 GiB (bench/scale/RESULTS.md). Each
 * application still counts the load and serves the model's forecasts.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { loadServeConfig } from '../../../src/config/load.js';
import { ServingLoop } from '../../../src/loop/index.js';
import { SnapshotStore } from '../../../src/snapshot/index.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { JSON_MODEL_LOADER } from '../../unit/loop/fixtures/json-model.js';
import { metricValue } from '../../unit/loop/support.js';

describe('applications with the same model', function () {
  this.timeout(60_000);

  it('share one model worker: the model loads once, and both serve it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-shared-model-'));
    const data = fileURLToPath(new URL('../../../../data/', import.meta.url));
    const services = ['frontend', 'cartservice'];
    const modelDir = join(dir, 'model');
    const loads = join(dir, 'loads.log');
    writeFileSync(loads, '');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'model.json'), JSON.stringify({ name: 'shared', inputSteps: 2, horizon: 4, scale: 1, services, loadLog: loads }));
    const appYaml = (name: string): string =>
      `  - name: ${name}\n    namespace: ${name}\n    services: [${services.join(', ')}]\n    model: ${modelDir}\n` +
      `    source: {kind: replay, path: ${data}boutique-30s, stepIntervalSeconds: 0.5, warmupSteps: 10}\n` +
      `    topology: ${data}topologies/online-boutique.yaml\n`;
    writeFileSync(join(dir, 'two.yaml'), `applications:\n${appYaml('shop-a')}${appYaml('shop-b')}`);
    const store = new SnapshotStore();
    const registry = new Registry();
    const loop = await ServingLoop.create(loadServeConfig(join(dir, 'two.yaml')), {
      store,
      registry,
      logger: createLogger({}, () => {}),
      modelLoader: JSON_MODEL_LOADER,
    });
    try {
      await loop.start();
      expect(readFileSync(loads, 'utf8').trim().split('\n'), 'model loads (one worker for both)').to.have.length(1);
      for (const app of ['shop-a', 'shop-b']) {
        expect(store.current().apps.get(app)?.state, app).to.include({ modelUsed: true, forecaster: 'shared' });
        expect(await metricValue(registry, 'deepscaler_model_loads_total', { app }), `${app} counts the load`).to.equal(1);
      }
    } finally {
      await loop.stop();
    }
  });
});

import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelHost } from '../../../src/loop/model-host.js';
import type { HistoryWindow } from '../../../src/history/index.js';
import { JSON_MODEL_LOADER, type JsonModel } from './fixtures/json-model.js';
import { capturingLogger } from './support.js';
import { eventually } from '../../support/eventually.js';

const window: HistoryWindow = {
  services: ['web'],
  features: ['cpu_cores', 'req'],
  stepSeconds: 30,
  timestamps: Float64Array.from([0, 30_000]),
  values: Float32Array.from([1, 10, 2, 20]),
};

function writeModel(dir: string, model: JsonModel | string): void {
  writeFileSync(join(dir, 'model.json'), typeof model === 'string' ? model : JSON.stringify(model));
}

describe('model host: load, reload on change, keep the last good model', function () {
  this.timeout(30_000);
  let host: ModelHost | null = null;
  afterEach(async () => {
    await host?.stop();
    host = null;
  });

  function start(dir: string) {
    const { logger, lines } = capturingLogger();
    const outcomes: boolean[] = [];
    host = new ModelHost({
      dir,
      requiredServices: ['web'],
      stepSeconds: 30,
      pollMs: 50,
      logger,
      loader: JSON_MODEL_LOADER,
      onLoadAttempt: (o) => outcomes.push(o.ok),
    });
    return { host, lines, outcomes };
  }

  it('loads the model at start and forecasts with it in the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-model-'));
    writeModel(dir, { name: 'v1', inputSteps: 2, horizon: 3, scale: 2, services: ['web'] });
    const { host, outcomes } = start(dir);
    await host.start();
    expect(host.loaded).to.include({ name: 'v1', inputSteps: 2, horizon: 3 });
    const fc = await host.forecaster()!.forecast(window);
    expect(fc.model).to.equal('v1');
    expect(Array.from(fc.values.subarray(0, 2))).to.deep.equal([4, 40]); // last value × 2
    expect(outcomes).to.deep.equal([true]);
  });

  it('a garbage file keeps the last good model, logs the error and reports the failure; a good file then reloads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-model-'));
    writeModel(dir, { name: 'v1', inputSteps: 2, horizon: 3, scale: 2, services: ['web'] });
    const { host, lines, outcomes } = start(dir);
    await host.start();
    const v1 = host.forecaster();
    // The same model is handed out as the same forecaster (the loop rebuilds its calibration only when it changes).
    expect(host.forecaster()).to.equal(v1);
    writeModel(dir, '\u0000\u0001 not a model {');
    await eventually(() => outcomes.length === 2, 'the reload attempt');
    expect(outcomes).to.deep.equal([true, false]);
    expect(host.loaded!.name).to.equal('v1');
    expect((await host.forecaster()!.forecast(window)).model).to.equal('v1');
    expect(host.lastError).to.contain('model load failed');
    expect(lines.some((l) => l.includes('keeping the last good model'))).to.equal(true);

    writeModel(dir, { name: 'v2', inputSteps: 2, horizon: 3, scale: 3, services: ['web'] });
    await eventually(() => host.loaded?.name === 'v2', 'the reload of v2');
    expect(host.lastError).to.equal(null);
    expect((await host.forecaster()!.forecast(window)).model).to.equal('v2');
    expect(host.forecaster()).to.not.equal(v1);
  });

  it('refuses a model that does not forecast every served service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-model-'));
    writeModel(dir, { name: 'v1', inputSteps: 2, horizon: 3, scale: 2, services: ['web'] });
    const { logger } = capturingLogger();
    host = new ModelHost({ dir, requiredServices: ['web', 'ghost'], stepSeconds: 30, pollMs: 50, logger, loader: JSON_MODEL_LOADER });
    await host.start();
    expect(host.loaded).to.equal(null);
    expect(host.lastError).to.contain('does not forecast ghost');
  });

  it('refuses a model trained on another step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-model-'));
    writeModel(dir, { name: 'v1', inputSteps: 2, horizon: 3, scale: 2, services: ['web'] });
    const { logger } = capturingLogger();
    host = new ModelHost({ dir, requiredServices: ['web'], stepSeconds: 60, pollMs: 50, logger, loader: JSON_MODEL_LOADER });
    await host.start();
    expect(host.lastError).to.contain('trained on 30 s steps');
  });

  it('no model folder at start: no model (cold start) and the reason, not a crash', async () => {
    const { host } = start(join(tmpdir(), 'ds-no-such-model'));
    await host.start();
    expect(host.forecaster()).to.equal(null);
    expect(host.lastError).to.contain('ds-no-such-model');
  });
});

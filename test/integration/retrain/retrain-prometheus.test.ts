/**
 * `deepscaler retrain`'s real steps end to end: collect from a real Prometheus (backfilled synthetic
 * series), train a (deliberately tiny) candidate in a worker, score it beside the baselines on the
 * newest held-out window with evaluate's code, decide, and record what the adapter exports.
 */
import { expect } from 'chai';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { realSteps, retrain } from '../../../src/cli/retrain.js';
import { parseServeConfig } from '../../../src/config/schema.js';
import { registerRetrainMetrics } from '../../../src/explain/metrics.js';
import { readDecisionBeside, DECISION_FILE } from '../../../src/model/lifecycle.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { startPrometheus, type RunningPrometheus } from '../../support/prometheus.js';
import { SHOP, syntheticMetrics } from '../../support/synthetic-metrics.js';

const STEP = 30;
const STEPS = 240;
const START = Date.parse('2024-04-06T11:30:00Z');
const END = START + (STEPS - 1) * STEP * 1000;

describe('retrain against a real Prometheus: collect → train → evaluate → decide', function () {
  this.timeout(600_000);
  let prometheus: RunningPrometheus;
  let work: string;

  before(async () => {
    const synthetic = syntheticMetrics(SHOP, { startMs: START, steps: STEPS, stepSeconds: STEP, scrapeSeconds: 15 });
    prometheus = await startPrometheus({ openMetrics: synthetic.openMetrics });
    work = mkdtempSync(join(tmpdir(), 'retrain-it-'));
  });
  after(async () => {
    await prometheus?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('records a decision that follows from the real scores, and the adapter exports it', async () => {
    const models = join(work, 'models', 'shop');
    const config = parseServeConfig(
      parse(`
applications:
  - name: shop
    namespace: shop
    services: [${SHOP.services.map((s) => s.name).join(', ')}]
    source: {kind: prometheus, url: ${prometheus.url}}
    model: ${join(models, 'live')}
    stepSeconds: ${STEP}
`),
      work,
    );
    const app = config.applications[0]!;
    const trainConfig = join(work, 'train.yaml');
    writeFileSync(trainConfig, 'numEpoch: 1\nnumIter: 1\ngraphEpochs: 1\nbatchSize: 32\n');
    const steps = realSteps(
      app,
      { config: '', days: String(((STEPS - 1) * STEP) / 86_400), minImprovement: '0', keep: '3', progress: false, trainConfig, graph: 'istio' },
      ['retrain'],
      END,
    );
    const decision = await retrain(
      { app: 'shop', modelsDir: models, minImprovement: 0, keep: 3 },
      steps,
      createLogger({}, () => {}),
    );

    // Real scores on a real window of the collected data.
    expect(decision.candidate).to.not.equal(null);
    const relative = decision.candidate!.score.relativeError;
    expect(Number.isFinite(relative) && relative > 0, `relative error ${relative}`).to.equal(true);
    expect(decision.baselines.map((b) => b.name)).to.include.members(['holt']);
    expect(decision.window!.endStep).to.equal(STEPS);
    expect(decision.window!.startStep).to.be.greaterThan(0).and.lessThan(decision.window!.endStep);
    // No live model: promoted exactly when the candidate beats the best baseline.
    expect(decision.promoted).to.equal(relative < 1);
    expect(existsSync(join(models, 'live'))).to.equal(decision.promoted);
    if (decision.promoted) expect(lstatSync(join(models, 'live')).isSymbolicLink()).to.equal(true);
    expect(JSON.parse(readFileSync(join(models, DECISION_FILE), 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(decision)));

    // What the adapter reads beside its model path and exports.
    expect(readDecisionBeside(app.model!)).to.deep.include({ promoted: decision.promoted, reason: decision.reason });
    const registry = new Registry();
    registerRetrainMetrics(registry, [{ app: 'shop', read: () => readDecisionBeside(app.model!) }]);
    const text = await registry.metrics();
    expect(text).to.contain(`deepscaler_retrain_last_promoted{app="shop"} ${decision.promoted ? 1 : 0}`);
    expect(text).to.match(/deepscaler_retrain_relative_error\{app="shop",model="candidate"\} [0-9.]+/);
    process.stderr.write(
      `      retrain decision: ${decision.reason} (${decision.seconds.toFixed(1)} s); candidate MAE ${JSON.stringify(decision.candidate!.score.mae)}, baselines ${JSON.stringify(decision.baselines)}\n`,
    );
  });
});

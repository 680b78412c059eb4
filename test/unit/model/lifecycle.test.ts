import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { retrain, type RetrainSteps, type ScoredWindow } from '../../../src/cli/retrain.js';
import { DECISION_FILE, DECISION_LOG, judge, liveVersion, promote, summarizeScores, type RetrainDecision } from '../../../src/model/lifecycle.js';
import type { ForecasterScore } from '../../../src/model/evaluation.js';
import type { PeakScore } from '../../../src/forecast/index.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { tempDir } from '../../support/pki.js';

const quiet = createLogger({}, () => {});

function writeModel(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ name, padding: 'x'.repeat(4096) }));
}

/** An application folder whose live model is versions/v1. */
function modelsWithLive(): string {
  const dir = tempDir('deepscaler-retrain-');
  writeModel(join(dir, 'versions', 'v1'), 'v1');
  promote(dir, 'v1');
  return dir;
}

function scored(relativeError: number): ScoredWindow {
  return {
    scored: {
      model: { relativeError, decisionLoss: relativeError, mae: { cpu_cores: relativeError } },
      baselines: [{ name: 'holt', decisionLoss: 1, mae: { cpu_cores: 1 } }],
    },
    testStart: 80,
    window: { startStep: 80, endStep: 100, from: '2026-11-30T00:00:00.000Z', to: '2026-11-30T00:10:00.000Z' },
  };
}

/** Steps whose candidate scores `candidate` and whose live model scores `live` (by the folder scored). */
function steps(candidate: number, live: number, overrides: Partial<RetrainSteps> = {}): RetrainSteps {
  return {
    collect: async (dataDir) => {
      mkdirSync(dataDir, { recursive: true });
    },
    train: async (_data, saveDir) => writeModel(saveDir, 'candidate'),
    score: async (modelDir) => scored(modelDir.endsWith('live') ? live : candidate),
    ...overrides,
  };
}

const plan = (modelsDir: string) => ({ app: 'shop', modelsDir, minImprovement: 0, keep: 3 });
const liveName = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'live', 'model.json'), 'utf8')) as { name: string }).name;
const decision = (dir: string): RetrainDecision => JSON.parse(readFileSync(join(dir, DECISION_FILE), 'utf8')) as RetrainDecision;

describe('retrain: promote a candidate only when it wins', () => {
  it('judges by relative error: must beat the best baseline and the live model (by minImprovement), never on a non-finite score', () => {
    const s = (relativeError: number) => ({ relativeError, decisionLoss: relativeError, mae: {} });
    expect(judge(s(0.9), s(0.8), 0).promote).to.equal(false);
    expect(judge(s(0.8), s(0.8), 0).promote).to.equal(false);
    expect(judge(s(0.7), s(0.8), 0).promote).to.equal(true);
    expect(judge(s(0.79), s(0.8), 0.05).promote).to.equal(false); // needs ≤ 0.76
    expect(judge(s(1.02), null, 0).promote).to.equal(false); // no live model, but worse than a baseline
    expect(judge(s(0.95), null, 0).promote).to.equal(true);
    expect(judge(s(Number.NaN), s(0.8), 0).promote).to.equal(false);
    expect(judge(s(0.5), s(Number.NaN), 0).promote).to.equal(true);
  });

  it("scores by evaluate's decision loss, not MAE: a lower MAE with a worse calibrated peak does not beat the baseline", () => {
    // One service, req = 10 at every scored step: the decision loss is pinball ÷ 10.
    const data = { services: ['a'], features: ['req' as const], stepSeconds: 30, length: 6, values: Float32Array.from({ length: 6 }, () => 10) };
    const mae = (name: string, value: number): ForecasterScore => ({
      name,
      perHorizon: [],
      perService: [],
      overall: [{ mae: value, rmse: value, mape: 0, count: 1 }],
    });
    const peak = (name: string, pinball: number): PeakScore => ({
      name,
      perService: [],
      overall: [{ pinball, underProvision: 0, excessPercent: 0, count: 1 }],
    });
    // The model: MAE 1 vs the baseline's 3 (the old rule: 0.33, promote), pinball 2 vs 1 (decision loss 0.2 vs 0.1).
    const scored = summarizeScores({
      scores: [mae('gnn', 1), mae('holt', 3), mae('recent-max', 4)],
      peaks: [peak('gnn', 2), peak('holt', 1), peak('recent-max', 1.5)],
      data,
      targets: ['req'],
      origins: [1, 2, 3],
    });
    expect(scored.model.decisionLoss).to.be.closeTo(0.2, 1e-12);
    expect(scored.model.relativeError).to.be.closeTo(2, 1e-12); // ÷ the best baseline's 0.1
    expect(scored.baselines.map((b) => [b.name, b.decisionLoss])).to.deep.equal([
      ['holt', 0.1],
      ['recent-max', 0.15],
    ]);
    expect(scored.model.mae).to.deep.equal({ req: 1 });
    expect(judge(scored.model, null, 0).promote).to.equal(false);
  });

  it('keeps the live model when the candidate is worse, and records and logs the decision', async () => {
    const dir = modelsWithLive();
    const result = await retrain(plan(dir), steps(0.9, 0.8), quiet);
    expect(result.promoted).to.equal(false);
    expect(liveVersion(dir)).to.equal('v1');
    expect(liveName(dir)).to.equal('v1');
    expect(decision(dir)).to.deep.include({ app: 'shop', promoted: false });
    expect(decision(dir).reason).to.match(/does not beat the live model/);
    expect(decision(dir).live).to.deep.equal({ version: 'v1', score: { relativeError: 0.8, decisionLoss: 0.8, mae: { cpu_cores: 0.8 } } });
    expect(readFileSync(join(dir, DECISION_LOG), 'utf8').trim().split('\n')).to.have.length(1);
  });

  it('promotes a better candidate by one symlink swap: live points at the new version', async () => {
    const dir = modelsWithLive();
    const result = await retrain(plan(dir), steps(0.6, 0.8), quiet);
    expect(result.promoted).to.equal(true);
    expect(lstatSync(join(dir, 'live')).isSymbolicLink()).to.equal(true);
    expect(readlinkSync(join(dir, 'live'))).to.equal(join('versions', result.candidate!.version));
    expect(liveName(dir)).to.equal('candidate');
    expect(decision(dir).live.version).to.equal('v1');
  });

  it('a reader of live/model.json never sees a missing or partial model while promotions swap it', async function () {
    this.timeout(30_000);
    const dir = modelsWithLive();
    writeModel(join(dir, 'versions', 'v2'), 'v2');
    const stop = join(dir, 'stop');
    const reader = `
      const fs = require('node:fs');
      let reads = 0, errors = [];
      while (!fs.existsSync(${JSON.stringify(stop)})) {
        try { const m = JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, 'live', 'model.json'))}, 'utf8')); if (m.name !== 'v1' && m.name !== 'v2') errors.push(m.name); reads++; }
        catch (e) { errors.push(e.code || e.message); }
        if (reads === 1) process.stderr.write('ready\\n');
      }
      process.stdout.write(JSON.stringify({ reads, errors: errors.slice(0, 5), errorCount: errors.length }));`;
    const child = spawn(process.execPath, ['-e', reader], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errOut = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (errOut += c.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
    if (!errOut.startsWith('ready')) throw new Error(`the reader failed: ${errOut}`);
    for (let i = 0; i < 2000; i++) {
      promote(dir, i % 2 === 0 ? 'v2' : 'v1');
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    writeFileSync(stop, '');
    await exited;
    expect(out, `the reader printed its counts (stderr: ${errOut})`).to.match(/^{/);
    const result = JSON.parse(out) as { reads: number; errorCount: number; errors: string[] };
    expect(result.reads).to.be.greaterThan(0);
    expect(result.errorCount, result.errors.join(', ')).to.equal(0);
  });

  it('a failing step leaves the live model and records the failure', async () => {
    const dir = modelsWithLive();
    const failing = steps(0.1, 0.8, { train: async () => Promise.reject(new Error('loss is no longer finite at epoch 3')) });
    const err = await retrain(plan(dir), failing, quiet).catch((e: unknown) => e as Error);
    expect((err as Error).message).to.equal('loss is no longer finite at epoch 3');
    expect(liveName(dir)).to.equal('v1');
    expect(decision(dir)).to.deep.include({ promoted: false, error: 'loss is no longer finite at epoch 3' });
  });

  it('a process killed while writing the candidate leaves the live model; the next run clears the leftovers', async function () {
    this.timeout(30_000);
    const dir = modelsWithLive();
    const atomic = new URL('../../../src/util/atomic-write.js', import.meta.url).href;
    // The real atomic folder writer, killed (SIGKILL, no cleanup) halfway through the candidate.
    const script = `
      import { writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      const { writeDirAtomic } = await import(${JSON.stringify(atomic)});
      await writeDirAtomic(${JSON.stringify(join(dir, 'versions', 'crashed'))}, (tmp) => {
        writeFileSync(join(tmp, 'model.json'), '{"name": "half');
        process.kill(process.pid, 'SIGKILL');
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).to.equal('SIGKILL');
    expect(readdirSync(join(dir, 'versions')).some((n) => n.includes('.tmp-'))).to.equal(true);
    expect(existsSync(join(dir, 'versions', 'crashed'))).to.equal(false);
    expect(liveName(dir)).to.equal('v1');
    await retrain(plan(dir), steps(0.9, 0.8), quiet);
    expect(readdirSync(join(dir, 'versions')).filter((n) => n.includes('.tmp-'))).to.deep.equal([]);
    expect(liveName(dir)).to.equal('v1');
  });

  it('without a usable live model, a candidate that beats the baselines becomes live', async () => {
    const dir = tempDir('deepscaler-retrain-');
    const result = await retrain(plan(dir), steps(0.9, 0.8), quiet);
    expect(result.promoted).to.equal(true);
    expect(liveName(dir)).to.equal('candidate');
    expect(result.live).to.deep.equal({ version: null, score: null });
  });
});

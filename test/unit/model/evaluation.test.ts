import { expect } from 'chai';
import { alignDataset, evaluateModel, scoreForecasts, weightedJaccard, type EvaluableModel } from '../../../src/model/evaluation.js';
import type { Dataset } from '../../../src/dataset/index.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEvaluation, writeEvaluationReport } from '../../../src/report/evaluation.js';

/** One service, one feature (req) counting 1, 2, 3, … */
const ramp: Dataset = {
  services: ['a'],
  features: ['req'],
  stepSeconds: 30,
  startMs: 0,
  length: 40,
  values: Float32Array.from({ length: 40 }, (_, t) => t + 1),
};

describe('model/evaluation', () => {
  it('MAE, RMSE and MAPE per horizon step and per service, in original units', () => {
    const data = alignDataset(ramp, ['a'], ['req']);
    // Predict 0 error at step 1 and an error of 2 at step 2, for origins 10 and 20.
    const origins = [10, 20];
    const predicted = Float32Array.from([12, 13 + 2, 22, 23 - 2]); // [B=2, H=2, N=1, K=1]
    const score = scoreForecasts('m', data, ['req'], origins, predicted, 2);
    expect(score.perHorizon[0]![0]).to.deep.include({ mae: 0, rmse: 0, mape: 0, count: 2 });
    expect(score.perHorizon[1]![0]!.mae).to.equal(2);
    expect(score.perHorizon[1]![0]!.rmse).to.equal(2);
    expect(score.perHorizon[1]![0]!.mape).to.be.closeTo((100 * (2 / 13 + 2 / 23)) / 2, 1e-9);
    expect(score.overall[0]!.mae).to.equal(1);
    expect(score.perService[0]![0]!.rmse).to.be.closeTo(Math.sqrt(2), 1e-12);
  });

  it('skips gaps in the actual values instead of scoring them as zeros', () => {
    const values = ramp.values.slice();
    values[12] = Number.NaN; // step 12 = the second target of origin 10
    const data = alignDataset({ ...ramp, values }, ['a'], ['req']);
    const score = scoreForecasts('m', data, ['req'], [10], Float32Array.from([12, 999]), 2);
    expect(score.perHorizon[1]![0]!.count).to.equal(0);
    expect(score.overall[0]!.count).to.equal(1);
  });

  it('evaluateModel scores only windows whose targets lie after the test start, GNN first', () => {
    const perfect: EvaluableModel = {
      name: 'oracle',
      info: { services: ['a'], features: ['req'], targets: ['req'], inputSteps: 5, horizon: 2, graphMode: 'identity', validationLoss: 0 },
      graph: { adjacency: Float32Array.of(1), start: Float32Array.of(1) },
      predictWindows: (values, origins) => Float32Array.from(origins.flatMap((o) => [values[o + 1]!, values[o + 2]!])),
    };
    const result = evaluateModel(perfect, ramp, 30, { lookAheadSteps: 2, risk: 0.1 });
    expect(result.origins[0]).to.equal(29);
    expect(result.origins[result.origins.length - 1]).to.equal(37);
    expect(result.scores.map((s) => s.name)).to.deep.equal(['oracle', 'persistence', 'moving-average', 'recent-max', 'holt', 'ridge-own', 'ridge-all']);
    expect(result.scores[0]!.overall[0]!.mae).to.equal(0);
    // A perfect forecast of a ramp: the calibrated plan never falls below the realized peak.
    expect(result.peaks[0]!.overall[0]!.underProvision).to.equal(0);
    // The baselines were tuned before the test split: 7/8 of steps 0..29 fit them.
    expect(result.baselines.map((b) => b.name)).to.include('holt');
    expect(formatEvaluation(result)).to.match(/oracle\/best baseline/);
  });

  it('the graph ablation ships the mode with the lowest validation decision loss and says whether it beats identity by 5 %', () => {
    const model = (graphMode: string, bias: number): EvaluableModel => ({
      name: 'gnn',
      info: { services: ['a'], features: ['req'], targets: ['req'], inputSteps: 5, horizon: 2, graphMode, validationLoss: 0.5 },
      graph: { adjacency: Float32Array.of(1), start: Float32Array.of(1) },
      predictWindows: (values, origins) => Float32Array.from(origins.flatMap((o) => [values[o + 1]! * bias, values[o + 2]! * bias])),
    });
    // The learned graph forecasts exactly, the identity graph 40 % low: learned wins on validation and test.
    const result = evaluateModel(model('learned', 1), ramp, 30, { lookAheadSteps: 2, risk: 0.1 }, { variants: [model('identity', 0.6)] });
    expect(result.graphModes.main.validationDecisionLoss).to.be.below(result.graphModes.variants[0]!.validationDecisionLoss);
    const text = formatEvaluation(result);
    expect(text).to.match(/GRAPH ABLATION/);
    expect(text).to.match(/by validation: ship the learned graph/);
    expect(text).to.match(/learned \/ identity test pinball: req 0\.\d+ — beats identity by ≥ 5 %/);
    // Swapped: the identity graph is better, and the learned graph is reported as not earning its place.
    const swapped = formatEvaluation(evaluateModel(model('learned', 0.6), ramp, 30, { lookAheadSteps: 2, risk: 0.1 }, { variants: [model('identity', 1)] }));
    expect(swapped).to.match(/by validation: ship the identity graph/);
    expect(swapped).to.match(/does NOT beat the identity graph/);
  });

  it('titles the graph plot by the graph mode: only a learned graph is called learned', async () => {
    const model = (graphMode: string): EvaluableModel => ({
      name: 'gnn',
      info: { services: ['a'], features: ['req'], targets: ['req'], inputSteps: 5, horizon: 2, graphMode, validationLoss: 0.5 },
      graph: { adjacency: Float32Array.of(1), start: Float32Array.of(1) },
      predictWindows: (values, origins) => Float32Array.from(origins.flatMap((o) => [values[o + 1]!, values[o + 2]!])),
    });
    const dir = mkdtempSync(join(tmpdir(), 'eval-report-'));
    try {
      const title = async (mode: string): Promise<string> => {
        const out = join(dir, mode);
        await writeEvaluationReport(out, evaluateModel(model(mode), ramp, 30, { lookAheadSteps: 2, risk: 0.1 }), { plotStep: 0, history: [] });
        return /font-weight="bold">([^<]*)</.exec(readFileSync(join(out, 'graph-learned.svg'), 'utf8'))?.[1] ?? '';
      };
      expect(await title('identity'))
        .to.match(/^identity graph/)
        .and.not.match(/learned/);
      expect(await title('call-graph')).to.match(/^call graph, fixed/);
      expect(await title('learned')).to.match(/^learned graph/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the services and features a dataset lacks', () => {
    expect(() => alignDataset(ramp, ['a', 'b'], ['req', 'cpu_cores'])).to.throw(/services: b; features: cpu_cores/);
  });

  it('weighted Jaccard is 1 for the same graph, 0 for disjoint edges, and ignores self-loops and scale', () => {
    const a = Float32Array.from([5, 1, 0, 0, 0, 1, 1, 0, 0]);
    expect(
      weightedJaccard(
        a,
        a.map((v) => v * 3),
        3,
      ).mean,
    ).to.equal(1);
    const disjoint = Float32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(weightedJaccard(a, disjoint, 3).mean).to.equal(0);
    const half = Float32Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0]); // node 0: {1} vs {1, 2} equally weighted
    expect(weightedJaccard(a, half, 3).perNode[0]).to.be.closeTo(0.5 / 1.5, 1e-6);
  });
});

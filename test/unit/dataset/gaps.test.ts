import { expect } from 'chai';
import { formatGapSummary, gapSummary } from '../../../src/dataset/gaps.js';
import type { Dataset } from '../../../src/dataset/index.js';

const N = Number.NaN;
// 4 steps × services a, b × features req, cpu_cores
const ds: Dataset = {
  services: ['a', 'b'],
  features: ['req', 'cpu_cores'],
  stepSeconds: 30,
  startMs: 0,
  length: 4,
  values: Float32Array.from([1, N, 1, N, /**/ N, N, 1, N, /**/ N, 1, 1, N, /**/ 1, 1, 1, N]),
};

describe('gap summary', () => {
  it('counts gaps and the longest run per series, most gaps first, and leaves out complete series', () => {
    const summary = gapSummary(ds);
    expect(summary.gaps).to.equal(8);
    expect(summary.values).to.equal(16);
    expect(summary.series).to.deep.equal([
      { service: 'b', feature: 'cpu_cores', gaps: 4, longestRun: 4 },
      { service: 'a', feature: 'cpu_cores', gaps: 2, longestRun: 2 },
      { service: 'a', feature: 'req', gaps: 2, longestRun: 2 },
    ]);
  });

  it('says which series have no data at all', () => {
    const text = formatGapSummary(gapSummary(ds), 30);
    expect(text.split('\n')[0]).to.equal('gaps: 8 of 16 values (50.00 %) in 3 series');
    expect(text).to.include('b cpu_cores: 4/4 steps missing, longest 4 steps (120 s) — no data at all');
    expect(text.split('\n').at(-1)).to.equal('  a req: 2/4 steps missing, longest 2 steps (60 s)');
  });
});

import { expect } from 'chai';
import { gammaCdf, LatencyStats, normalCdf } from '../../../src/sim/latency.js';

describe('sim/latency', () => {
  it('normal CDF matches known values', () => {
    expect(normalCdf(0)).to.be.closeTo(0.5, 1e-7);
    expect(normalCdf(1.959964)).to.be.closeTo(0.975, 1e-6);
  });

  it('gamma CDF approximates the Erlang CDF', () => {
    // Erlang(k = 4, rate 1): P(X ≤ 4) = 1 − e⁻⁴(1 + 4 + 8 + 32/3) = 0.56653
    expect(gammaCdf(4, 4, 1)).to.be.closeTo(0.56653, 0.005);
  });

  it('percentiles and the SLO violation rate follow the distributions of the steps, weighted by requests', () => {
    const stats = new LatencyStats(0.5);
    // 900 fast requests (~0.1 s) and 100 that wait 1 s in a backlog: p50 fast, p99 slow, 10 % over the SLO
    stats.add({ requests: 900, mean: 0.1, delay: 0, shape: 50, scale: 0.002, failed: 0 });
    stats.add({ requests: 100, mean: 1.1, delay: 1, shape: 50, scale: 0.002, failed: 0 });
    const s = stats.summary();
    expect(s.p50).to.be.closeTo(0.1, 0.01);
    expect(s.p99).to.be.closeTo(1.1, 0.05);
    expect(s.sloViolationRate).to.be.closeTo(0.1, 1e-3);
    expect(s.mean).to.be.closeTo(0.2, 1e-9);
  });

  it('dropped requests count as violations and push the tail to infinity', () => {
    const stats = new LatencyStats(0.5);
    stats.add({ requests: 100, mean: 0.1, delay: 0, shape: 50, scale: 0.002, failed: 0.02 });
    const s = stats.summary();
    expect(s.dropRate).to.be.closeTo(0.02, 1e-12);
    expect(s.sloViolationRate).to.be.closeTo(0.02, 1e-6);
    expect(s.p99).to.equal(Number.POSITIVE_INFINITY);
    expect(s.p95).to.be.lessThan(0.5);
  });
});

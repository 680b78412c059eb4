import { expect } from 'chai';
import { costAtViolations, paretoFrontier, violationsAtCost } from '../../../src/experiment/frontier.js';

// A swept autoscaler: cost 10 → 2 % violations, 20 → 1 %, 30 → 0.5 %; and a dominated point (25, 1.5 %).
const points = [
  { coreHours: 20, violationPct: 1 },
  { coreHours: 10, violationPct: 2 },
  { coreHours: 25, violationPct: 1.5 },
  { coreHours: 30, violationPct: 0.5 },
];

describe('frontiers', () => {
  it('keeps the Pareto points, cheapest first, dropping the dominated one', () => {
    expect(paretoFrontier(points).map((p) => p.coreHours)).to.deep.equal([10, 20, 30]);
  });

  it('violations at equal cost: linear between the bracketing points (15 core-h → 1.5 %, 25 → 0.75 %)', () => {
    expect(violationsAtCost(points, 15)).to.be.closeTo(1.5, 1e-12);
    expect(violationsAtCost(points, 25)).to.be.closeTo(0.75, 1e-12);
    expect(violationsAtCost(points, 20)).to.equal(1);
  });

  it('cost at equal violations: linear between the bracketing points (1.5 % → 15 core-h, 0.75 % → 25)', () => {
    expect(costAtViolations(points, 1.5)).to.be.closeTo(15, 1e-12);
    expect(costAtViolations(points, 0.75)).to.be.closeTo(25, 1e-12);
  });

  it('never extrapolates: outside the frontier the answer is null', () => {
    expect(violationsAtCost(points, 5)).to.equal(null);
    expect(violationsAtCost(points, 31)).to.equal(null);
    expect(costAtViolations(points, 3)).to.equal(null);
    expect(costAtViolations(points, 0.1)).to.equal(null);
  });
});

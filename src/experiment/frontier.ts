/**
 * Violations-vs-cost frontiers: each autoscaler swept over its own knob gives points; the frontier
 * keeps the points no other point beats on both axes, and comparisons read one autoscaler's
 * frontier at the other's cost (or violations) by linear interpolation — never beyond its ends.
 */
export interface CostPoint {
  readonly coreHours: number;
  readonly violationPct: number;
}

/** The Pareto points, cheapest first: each one has fewer violations than every cheaper one. */
export function paretoFrontier<P extends CostPoint>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.coreHours - b.coreHours || a.violationPct - b.violationPct);
  const out: P[] = [];
  for (const p of sorted) if (out.length === 0 || p.violationPct < out[out.length - 1]!.violationPct) out.push(p);
  return out;
}

/**
 * Reads the frontier across: at `x` on one axis (`from`), the other axis (`to`), linear between the
 * two frontier points that bracket `x`; null outside the frontier's range on that axis.
 */
function readAcross(frontier: readonly CostPoint[], x: number, from: (p: CostPoint) => number, to: (p: CostPoint) => number): number | null {
  const f = paretoFrontier(frontier);
  for (let i = 0; i < f.length; i++) {
    const a = f[i]!;
    if (x === from(a)) return to(a);
    const b = f[i + 1];
    if (b !== undefined && (x - from(a)) * (x - from(b)) < 0) return to(a) + ((x - from(a)) / (from(b) - from(a))) * (to(b) - to(a));
  }
  return null;
}

const cost = (p: CostPoint): number => p.coreHours;
const violations = (p: CostPoint): number => p.violationPct;

/** Violations on the frontier at `coreHours`, or null when that cost is outside the frontier's range. */
export function violationsAtCost(frontier: readonly CostPoint[], coreHours: number): number | null {
  return readAcross(frontier, coreHours, cost, violations);
}

/** Cost on the frontier at `violationPct`, or null when those violations are outside its range. */
export function costAtViolations(frontier: readonly CostPoint[], violationPct: number): number | null {
  return readAcross(frontier, violationPct, violations, cost);
}

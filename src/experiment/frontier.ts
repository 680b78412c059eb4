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

function interpolate(x0: number, y0: number, x1: number, y1: number, x: number): number {
  return x1 === x0 ? Math.min(y0, y1) : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
}

/** Violations on the frontier at `coreHours`, or null when that cost is outside the frontier's range. */
export function violationsAtCost(frontier: readonly CostPoint[], coreHours: number): number | null {
  const f = paretoFrontier(frontier);
  for (let i = 0; i < f.length; i++) {
    const a = f[i]!;
    if (coreHours === a.coreHours) return a.violationPct;
    const b = f[i + 1];
    if (b !== undefined && coreHours > a.coreHours && coreHours < b.coreHours) return interpolate(a.coreHours, a.violationPct, b.coreHours, b.violationPct, coreHours);
  }
  return null;
}

/** Cost on the frontier at `violationPct`, or null when those violations are outside its range. */
export function costAtViolations(frontier: readonly CostPoint[], violationPct: number): number | null {
  const f = paretoFrontier(frontier);
  for (let i = 0; i < f.length; i++) {
    const a = f[i]!;
    if (violationPct === a.violationPct) return a.coreHours;
    const b = f[i + 1];
    if (b !== undefined && violationPct < a.violationPct && violationPct > b.violationPct) return interpolate(a.violationPct, a.coreHours, b.violationPct, b.coreHours, violationPct);
  }
  return null;
}

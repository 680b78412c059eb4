/**
 * The HPA controller's tolerance test, shared by the simulated controller (sim/) and the planner's
 * reactive estimate (planning/) so the two cannot drift apart.
 *
 * Kubernetes ≥ 1.33 keeps the count when |1 − ratio| ≤ tolerance, inclusive. In floating point
 * 1 − 1.1 is 0.10000000000000009, so a ratio of exactly 1.1 would fall outside: compare with a
 * slack far below any milli-unit ratio step.
 */
export function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(1 - ratio) <= tolerance + 1e-9;
}

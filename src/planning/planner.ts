/**
 * Demand → replicas. A pod may use `cpuPerPodCores` (CPU request × target utilization) and, when
 * known, serve `reqPerPod` requests/s; the count is the one that covers the peak demand inside the
 * look-ahead window times the service's calibrated correction (its (1 − risk) quantile), within
 * min/max. Every count carries the reason: which demand and which horizon step decided it.
 */
import { withinTolerance } from '../core/index.js';
import { plannedDemand, DEMAND_FEATURES, forecastPeak, type DemandFeature, type Forecast } from '../forecast/index.js';
import type { PlanOptions, Reason, ReasonKind, Recommendation, ServiceCapacity } from './index.js';

/**
 * Float32 forecasts and decimal capacities put 3 × 0.1 at 3.0000001: without this slack the
 * ceiling would ask for a fourth pod that nobody needs.
 */
const ROUNDING_SLACK = 1e-6;

/** Pods needed to carry `load` at `perPod` each, rounded up but forgiving float noise. */
export function podsFor(load: number, perPod: number): number {
  const exact = load / perPod;
  return Math.max(0, Math.ceil(exact - ROUNDING_SLACK * Math.max(1, exact)));
}

/** How many forecast steps the look-ahead window spans: step h holds at issuedAt + (h + 1) × step. */
export function lookAheadSteps(lookAheadSeconds: number, stepSeconds: number, horizon: number): number {
  return Math.min(horizon, Math.max(1, Math.ceil(lookAheadSeconds / stepSeconds - ROUNDING_SLACK)));
}

/** One demand value a count can be derived from: its feature, size and the horizon step it came from. */
export interface DemandPoint {
  readonly driver: DemandFeature;
  readonly demand: number;
  /** 0-based horizon step, or -1 for current usage. */
  readonly horizonStep: number;
  /** Factor the demand is planned at (the calibrated correction; 1 for current usage). */
  readonly correction: number;
  /** What the pods must carry: the calibrated plan (forecast/calibration.ts: plannedDemand), or current usage. */
  readonly load: number;
}

function capacityFor(capacity: ServiceCapacity, driver: DemandFeature): number | undefined {
  return driver === 'cpu_cores' ? capacity.cpuPerPodCores : capacity.reqPerPod;
}

const UNITS: Record<DemandFeature, string> = { cpu_cores: 'cores', req: 'req/s' };

/**
 * The count the demands need: the largest over drivers that have a capacity, bounded by min/max.
 * Returns null when no driver has a finite demand (nothing to decide from).
 */
export function decideReplicas(
  capacity: ServiceCapacity,
  points: readonly DemandPoint[],
  risk: number | null,
  basis: 'forecast' | 'reactive',
): Recommendation | null {
  let best: { point: DemandPoint; pods: number; perPod: number } | null = null;
  for (const point of points) {
    const perPod = capacityFor(capacity, point.driver);
    if (perPod === undefined || !Number.isFinite(point.demand)) continue;
    const pods = podsFor(point.load, perPod);
    if (best === null || pods > best.pods) best = { point, pods, perPod };
  }
  if (best === null) return null;
  const { point, pods, perPod } = best;
  const desired = Math.min(capacity.maxReplicas, Math.max(capacity.minReplicas, pods));
  const kind: ReasonKind = pods < capacity.minReplicas ? 'min-bound' : pods > capacity.maxReplicas ? 'max-bound' : basis;
  const peakOf = (driver: DemandFeature): number => {
    const demands = points.filter((p) => p.driver === driver && Number.isFinite(p.demand)).map((p) => p.demand);
    return demands.length === 0 ? Number.NaN : Math.max(...demands);
  };
  const reason: Reason = {
    kind,
    driver: point.driver,
    horizonStep: point.horizonStep,
    demand: point.demand,
    capacityPerPod: perPod,
    risk,
    correction: point.correction,
    text: explain(capacity, point, perPod, risk, pods, desired, kind),
  };
  return {
    service: capacity.service,
    desiredReplicas: desired,
    reason,
    peakCpuCores: peakOf('cpu_cores'),
    peakReq: peakOf('req'),
  };
}

function explain(capacity: ServiceCapacity, point: DemandPoint, perPod: number, risk: number | null, pods: number, desired: number, kind: ReasonKind): string {
  const when = point.horizonStep < 0 ? 'current' : `forecast peak at step ${point.horizonStep + 1}`;
  const unit = UNITS[point.driver];
  const base =
    `${when} ${point.driver} ${round(point.demand)} ${unit}` +
    (risk !== null ? ` × ${round(point.correction)} (calibrated for risk ${round(risk * 100)}%)` : '') +
    ` / ${round(perPod)} ${unit} per pod = ${pods}`;
  if (kind === 'min-bound') return `${base}, raised to minReplicas ${capacity.minReplicas}`;
  if (kind === 'max-bound') return `${base}, capped at maxReplicas ${capacity.maxReplicas}`;
  return desired === 1 ? `${base} replica` : `${base} replicas`;
}

function round(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/**
 * Desired replicas per service from a forecast: the peak of each demand inside the first
 * `lookAheadSteps` steps, times the service's calibrated correction for that demand, decides.
 * Services whose forecast is all gaps are left out (the caller falls back); a service the forecast
 * does not know is a config error.
 */
export function planReplicas(forecast: Forecast, capacities: readonly ServiceCapacity[], options: PlanOptions): Recommendation[] {
  const steps = Math.min(forecast.horizon, Math.max(1, options.lookAheadSteps));
  const out: Recommendation[] = [];
  for (const capacity of capacities) {
    const s = forecast.services.indexOf(capacity.service);
    if (s < 0) {
      throw new Error(`forecast from "${forecast.model}" has no service "${capacity.service}" (has: ${forecast.services.join(', ')})`);
    }
    const sizing = options.sizing(capacity.service);
    const points: DemandPoint[] = [];
    for (const driver of DEMAND_FEATURES) {
      const k = forecast.targets.indexOf(driver);
      if (k < 0) continue;
      const peak = forecastPeak(forecast, s, k, steps);
      const correction = sizing.correction[driver];
      if (peak !== null) points.push({ driver, demand: peak.value, horizonStep: peak.step, correction, load: plannedDemand(peak.value, correction) });
    }
    const rec = decideReplicas(capacity, points, sizing.risk, 'forecast');
    if (rec !== null) out.push(rec);
  }
  return out;
}

/** What a service uses now, for the reactive estimate. NaN marks an unknown value. */
export interface CurrentUsage {
  readonly service: string;
  readonly cpuCores: number;
  readonly req: number;
  /** Pods running now; NaN when unknown (then the HPA's tolerance band cannot apply). */
  readonly replicas: number;
}

/**
 * The HPA controller's default tolerance (--horizontal-pod-autoscaler-tolerance): a usage ratio
 * within ±10 % of the target keeps the current count. The reactive estimate mimics that HPA.
 */
export const HPA_TOLERANCE = 0.1;

/**
 * What a utilization HPA would do from current usage (cold start, or a fallback without a model):
 * pods = ceil(usage / capacity per pod), the current count kept inside the ±10 % tolerance band,
 * within min/max. No correction and no look-ahead: this is the reactive baseline, not a prediction.
 */
export function reactiveReplicas(usage: readonly CurrentUsage[], capacities: readonly ServiceCapacity[]): Recommendation[] {
  const byService = new Map(usage.map((u) => [u.service, u] as const));
  const out: Recommendation[] = [];
  for (const capacity of capacities) {
    const u = byService.get(capacity.service);
    if (u === undefined) continue;
    const points: DemandPoint[] = [
      { driver: 'cpu_cores', demand: u.cpuCores, horizonStep: -1, correction: 1, load: Math.max(0, u.cpuCores) },
      { driver: 'req', demand: u.req, horizonStep: -1, correction: 1, load: Math.max(0, u.req) },
    ];
    const rec = decideReplicas(capacity, points, null, 'reactive');
    if (rec === null) continue;
    out.push(withinHpaTolerance(rec, u.replicas, capacity) ? keepCurrent(rec, u.replicas) : rec);
  }
  return out;
}

function keepCurrent(rec: Recommendation, current: number): Recommendation {
  const text = `${rec.reason.text}; within the HPA's ±${HPA_TOLERANCE * 100}% tolerance of the current ${current}, kept`;
  return { ...rec, desiredReplicas: current, reason: { ...rec.reason, text } };
}

function withinHpaTolerance(rec: Recommendation, current: number, capacity: ServiceCapacity): boolean {
  if (!Number.isFinite(current) || current < capacity.minReplicas || current > capacity.maxReplicas || current <= 0) return false;
  const ratio = rec.reason.demand / (rec.reason.capacityPerPod * current);
  return withinTolerance(ratio, HPA_TOLERANCE);
}

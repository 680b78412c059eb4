/**
 * Missing data must never lower a served value. A service whose series vanished (or whose demand
 * feature did) while the others still report cannot be decided from the newest frame: the plan
 * would read its gap as "no demand" or drop it. Such a service keeps at least what was last served
 * for it, and says so (log, `deepscaler_service_data_missing`, the reason text).
 */
import type { Recommendation, ServiceCapacity } from '../planning/index.js';
import { DEMAND_FEATURES, type DemandFeature } from '../forecast/index.js';
import { frameValue, type Frame } from '../core/index.js';

/** A service that lacks demand data in the newest frame, and what the step served for it. */
export interface ServiceGap {
  readonly service: string;
  /** Demand features the service's capacity needs that the frame has no value for. */
  readonly missing: readonly DemandFeature[];
  /** 'no-data': every needed feature is missing; 'partial-data': some are. */
  readonly kind: 'no-data' | 'partial-data';
  /** The service's last served value is its floor while its data is missing (none before it was ever served). */
  readonly held: boolean;
}

/** Demand features that can decide a service's count: CPU always, requests/s when a per-pod rate is known. */
function neededFeatures(capacity: ServiceCapacity): DemandFeature[] {
  return DEMAND_FEATURES.filter((f) => f === 'cpu_cores' || capacity.reqPerPod !== undefined);
}

/** Services whose needed demand the frame lacks. */
export function findGaps(frame: Frame, capacities: readonly ServiceCapacity[]): Array<Omit<ServiceGap, 'held'>> {
  const gaps: Array<Omit<ServiceGap, 'held'>> = [];
  for (const capacity of capacities) {
    const needed = neededFeatures(capacity);
    const missing = needed.filter((f) => !Number.isFinite(frameValue(frame, capacity.service, f)));
    if (missing.length > 0) gaps.push({ service: capacity.service, missing, kind: missing.length === needed.length ? 'no-data' : 'partial-data' });
  }
  return gaps;
}

function held(last: Recommendation, gap: Omit<ServiceGap, 'held'>, since: number): Recommendation {
  const what = gap.kind === 'no-data' ? 'no data' : `no ${gap.missing.join(', ')} data`;
  const text = `${what} for ${gap.service} in the step at ${new Date(since).toISOString()}: holding the last served ${last.desiredReplicas}`;
  return { ...last, reason: { ...last.reason, text } };
}

/**
 * `decided` with every gap's service floored at its last served value: a lower or missing new
 * value is replaced by the last one, a higher one (the forecast rises) is served. Services keep the capacities' order; a service that was never
 * served and cannot be decided stays absent (the API answers 404 and the HPA holds its scale).
 */
export function holdGaps(
  decided: readonly Recommendation[],
  frame: Frame,
  capacities: readonly ServiceCapacity[],
  lastServed: readonly Recommendation[],
): { recommendations: Recommendation[]; gaps: ServiceGap[] } {
  const gaps = findGaps(frame, capacities);
  if (gaps.length === 0) return { recommendations: [...decided], gaps: [] };
  const byService = new Map(decided.map((r) => [r.service, r] as const));
  const last = new Map(lastServed.map((r) => [r.service, r] as const));
  const out: ServiceGap[] = [];
  for (const gap of gaps) {
    const previous = last.get(gap.service);
    const current = byService.get(gap.service);
    if (previous !== undefined && (current === undefined || current.desiredReplicas < previous.desiredReplicas)) {
      byService.set(gap.service, held(previous, gap, frame.timestamp));
    }
    out.push({ ...gap, held: previous !== undefined });
  }
  const recommendations = capacities.map((c) => byService.get(c.service)).filter((r): r is Recommendation => r !== undefined);
  return { recommendations, gaps: out };
}

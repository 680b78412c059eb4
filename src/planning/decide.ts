/**
 * The one decision engine: what the serving loop serves and what the simulator's predictive
 * autoscalers serve come from this function, so a benchmark scores the policy `serve` runs.
 *
 * Inputs are plain values (a forecast or none, current usage, capacities, the look-ahead in steps,
 * each service's policy and its calibration); the output is one recommendation per service with its
 * reason. No clock, no I/O, no state: the same inputs give the same decision.
 *
 * Per service:
 * 1. Proactive: the (1 − risk) quantile of the peak demand in the look-ahead = forecast peak × the
 *    calibrated correction (forecast/calibration.ts), in pods.
 * 2. Never below what is needed now: at least the reactive need of the current observed demand at
 *    the target utilization (what a CPU HPA would ask for; AHPA's max(proactive, reactive)).
 * 3. Guarded scale-in, when that is fewer pods than run now (`scaleIn`):
 *    - `forecast`: only as far as the (1 − risk) quantile over pod start-up + the HPA's scale-down
 *      window allows (a trough shorter than the pods' way back is not worth scaling into);
 *    - `reactive`: only as far as the largest observed demand over that window allows (no sooner than
 *      a CPU HPA with that stabilization window would);
 *    - `never`: not at all — the served count never drops below the running count (forecasts only
 *      ever add pods, as cloud predictive scaling does; scale-in is left to something else).
 */
import { DEMAND_FEATURES, type DemandFeature, type Forecast, type ServiceCalibration } from '../forecast/index.js';
import type { Recommendation, ServiceCapacity, ServicePolicy, ServiceSizing } from './index.js';
import { planReplicas, reactiveReplicas, type CurrentUsage } from './planner.js';

export interface DecisionInputs {
  /** The forecast to plan from; null when there is none (cold start, failure): the reactive estimate. */
  readonly forecast: Forecast | null;
  /** What each service uses now (the newest frame); `replicas` is the running count the guard compares with. */
  readonly usage: readonly CurrentUsage[];
  /** Each service's largest observed demand over start-up + scale-down window (for `scaleIn: reactive`). */
  readonly recentPeakUsage: readonly CurrentUsage[];
  readonly capacities: readonly ServiceCapacity[];
  /** Forecast steps covering pod start-up + HPA sync + data age: the plan's look-ahead. */
  readonly lookAheadSteps: number;
  /** Forecast steps covering pod start-up + the HPA's scale-down window: the scale-in guard's look-ahead. */
  readonly scaleInSteps: number;
  readonly policy: (service: string) => ServicePolicy;
  /** Each service's calibration; a service without one is planned on its raw forecast (correction 1). */
  readonly calibration: ReadonlyMap<string, ServiceCalibration>;
}

const UNCALIBRATED: Readonly<Record<DemandFeature, number>> = Object.fromEntries(DEMAND_FEATURES.map((f) => [f, 1])) as Record<DemandFeature, number>;

/** A service's sizing: its risk and the correction its calibration gives per feature. */
export function sizingFor(service: string, inputs: Pick<DecisionInputs, 'policy' | 'calibration'>): ServiceSizing {
  const calibration = inputs.calibration.get(service);
  const correction =
    calibration === undefined
      ? UNCALIBRATED
      : (Object.fromEntries(DEMAND_FEATURES.map((f) => [f, calibration[f].correction])) as Record<DemandFeature, number>);
  return { risk: inputs.policy(service).risk, correction };
}

/**
 * One decision per service. With a forecast: the calibrated plan, never below the reactive need,
 * scale-in guarded; a service the forecast left blank (all gaps) gets the reactive estimate. Without
 * one: the reactive estimate.
 */
export function decide(inputs: DecisionInputs): Recommendation[] {
  const reactive = byService(reactiveReplicas(inputs.usage, inputs.capacities));
  if (inputs.forecast === null) return inputs.capacities.flatMap((c) => reactive.get(c.service) ?? []);
  const sizing = (service: string): ServiceSizing => sizingFor(service, inputs);
  const planned = byService(planReplicas(inputs.forecast, inputs.capacities, { lookAheadSteps: inputs.lookAheadSteps, sizing }));
  const longer = byService(planReplicas(inputs.forecast, inputs.capacities, { lookAheadSteps: Math.max(inputs.lookAheadSteps, inputs.scaleInSteps), sizing }));
  const recentPeak = byService(reactiveReplicas(inputs.recentPeakUsage, inputs.capacities));
  const running = new Map(inputs.usage.map((u) => [u.service, u.replicas] as const));
  const out: Recommendation[] = [];
  for (const capacity of inputs.capacities) {
    const { service } = capacity;
    const plan = planned.get(service);
    const now = reactive.get(service);
    if (plan === undefined) {
      if (now !== undefined) out.push(now);
      continue;
    }
    const proposed = now !== undefined && now.desiredReplicas > plan.desiredReplicas ? aboveForecast(now, plan) : plan;
    const current = running.get(service) ?? Number.NaN;
    if (!(current > 0) || proposed.desiredReplicas >= current) {
      out.push(proposed);
      continue;
    }
    const mode = inputs.policy(service).scaleIn;
    const guard = mode === 'never' ? current : mode === 'forecast' ? longer.get(service)?.desiredReplicas : recentPeak.get(service)?.desiredReplicas;
    const needed = guard ?? current;
    const floor = Math.min(current, capacity.maxReplicas, needed);
    out.push(floor > proposed.desiredReplicas ? held(proposed, floor, needed, mode, inputs.scaleInSteps) : proposed);
  }
  return out;
}

function byService(recs: readonly Recommendation[]): Map<string, Recommendation> {
  return new Map(recs.map((r) => [r.service, r] as const));
}

/** Current demand needs more than the forecast: the reactive count, with the forecast's peaks for reference. */
function aboveForecast(now: Recommendation, plan: Recommendation): Recommendation {
  const text = `${now.reason.text}; more than the forecast's ${plan.desiredReplicas}, so current demand decides`;
  return { ...now, reason: { ...now.reason, text }, peakCpuCores: plan.peakCpuCores, peakReq: plan.peakReq };
}

function held(proposed: Recommendation, floor: number, needed: number, mode: ServicePolicy['scaleIn'], scaleInSteps: number): Recommendation {
  const why =
    mode === 'never'
      ? `scaleIn: never keeps the running ${floor}`
      : mode === 'forecast'
        ? `scale-in held at ${floor}: the calibrated peak over the next ${scaleInSteps} steps (pod start-up + scale-down window) needs ${needed}`
        : `scale-in held at ${floor}: the largest observed demand over the scale-down window needs ${needed}`;
  return { ...proposed, desiredReplicas: floor, reason: { ...proposed.reason, kind: 'scale-in-guard', text: `${proposed.reason.text}; ${why}` } };
}

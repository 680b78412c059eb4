/**
 * The one decision engine: what the serving loop serves and what the simulator's predictive
 * autoscalers serve come from this function, so a benchmark scores the policy `serve` runs.
 *
 * Inputs are plain values (a forecast or none, current usage, capacities, the look-ahead, the
 * policy knob and the forecaster's recent error per service); the output is one recommendation
 * per service with its reason. No clock, no I/O, no state: the same inputs give the same decision.
 */
import type { Forecast } from '../forecast/index.js';
import type { Recommendation, ServiceCapacity } from './index.js';
import { planReplicas, reactiveReplicas, type CurrentUsage } from './planner.js';

/**
 * The policy knob. One named setting (`margin`) so that a later policy (a risk level over a
 * calibrated error distribution) replaces it here and in `marginFor` only.
 */
export interface PolicySettings {
  /** Least relative safety margin over the forecast (0.1 = +10 %); also the margin before any error is known. */
  readonly margin: number;
  /** The recent-error margin is capped here, so one bad hour cannot double the fleet. */
  readonly maxMargin: number;
}

export interface DecisionInputs {
  /** The forecast to plan from; null when there is none (cold start, failure): the reactive estimate. */
  readonly forecast: Forecast | null;
  /** What each service uses now (the newest frame). */
  readonly usage: readonly CurrentUsage[];
  readonly capacities: readonly ServiceCapacity[];
  /** Pod start-up + HPA sync + prediction age: the plan covers the peak inside this window. */
  readonly lookAheadSeconds: number;
  readonly policy: PolicySettings;
  /** Calibration state: each service's recent mean relative forecast error (absent: no record yet). */
  readonly recentError: ReadonlyMap<string, number>;
}

/** A service's margin: the forecaster's recent error (capped), never below the policy's margin. */
export function marginFor(service: string, policy: PolicySettings, recentError: ReadonlyMap<string, number>): number {
  const error = recentError.get(service);
  return error === undefined ? policy.margin : Math.max(policy.margin, Math.min(policy.maxMargin, error));
}

/**
 * One decision per service. With a forecast: the planned count; a service the forecast left blank
 * (all gaps) gets the reactive estimate instead of nothing. Without one: the reactive estimate.
 */
export function decide(inputs: DecisionInputs): Recommendation[] {
  const reactive = reactiveReplicas(inputs.usage, inputs.capacities);
  if (inputs.forecast === null) return reactive;
  const margins = new Map(inputs.capacities.map((c) => [c.service, marginFor(c.service, inputs.policy, inputs.recentError)] as const));
  const planned = planReplicas(inputs.forecast, inputs.capacities, {
    lookAheadSeconds: inputs.lookAheadSeconds,
    marginByService: margins,
    defaultMargin: inputs.policy.margin,
  });
  const missing = reactive.filter((r) => !planned.some((p) => p.service === r.service));
  return [...planned, ...missing];
}

/**
 * Planning: a demand forecast → a desired replica count per service, each with the reason.
 * `decide` (decide.ts) is the one decision engine, used by the serving loop and the simulator alike.
 * (The HPA controller's algorithm is the simulated cluster's: sim/hpa.ts.)
 */
import type { DemandFeature } from '../forecast/index.js';

export interface ServiceCapacity {
  readonly service: string;
  /** CPU cores one pod should use: its CPU request × the target utilization. */
  readonly cpuPerPodCores: number;
  /** Requests/s one pod handles at target, when known; then request rate can drive the count too. */
  readonly reqPerPod?: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/** When a forecast may lower the count: see `decide` (decide.ts). */
export const SCALE_IN_MODES = ['forecast', 'reactive', 'never'] as const;
export type ScaleInMode = (typeof SCALE_IN_MODES)[number];

/** A service's policy: what it is sized for, and when it may scale in. */
export interface ServicePolicy {
  /** Accepted probability that the service's peak demand in the look-ahead exceeds its planned capacity. */
  readonly risk: number;
  readonly scaleIn: ScaleInMode;
}

/** How one service's forecast peak becomes planned demand: its risk and the calibrated factor per feature. */
export interface ServiceSizing {
  readonly risk: number;
  /** Forecast peak × this = the (1 − risk) quantile of the realized peak (forecast/calibration.ts). */
  readonly correction: Readonly<Record<DemandFeature, number>>;
}

export interface PlanOptions {
  /** Forecast steps the plan reads (pod start-up + HPA sync + data age, in steps): the peak inside them decides. */
  readonly lookAheadSteps: number;
  readonly sizing: (service: string) => ServiceSizing;
}

/**
 * Which rule decided: the calibrated forecast, the reactive need of current demand (the forecast
 * asked for less), a bound, or the scale-in guard (the forecast asked for fewer pods than run now,
 * and the guard kept more).
 */
export type ReasonKind = 'forecast' | 'reactive' | 'min-bound' | 'max-bound' | 'scale-in-guard';

export interface Reason {
  readonly kind: ReasonKind;
  /** Which demand decided the count. */
  readonly driver: DemandFeature;
  /** Horizon step (0-based) whose demand was the peak inside the look-ahead; -1 for current usage. */
  readonly horizonStep: number;
  /** The demand that drove it, original units (cores or requests/s), before the correction. */
  readonly demand: number;
  readonly capacityPerPod: number;
  /** The risk the count was sized for; null when current usage decided (no forecast involved). */
  readonly risk: number | null;
  /** Factor applied to `demand` (the calibration's correction; 1 for current usage). */
  readonly correction: number;
  /** One sentence a person can read in `kubectl describe` or logs. */
  readonly text: string;
}

export interface Recommendation {
  readonly service: string;
  readonly desiredReplicas: number;
  readonly reason: Reason;
  /** Peak forecast demand inside the look-ahead window (NaN when unknown). */
  readonly peakCpuCores: number;
  readonly peakReq: number;
}

export { decide } from './decide.js';
export { ForecastErrorTracker } from './forecast-error.js';
export { lookAheadSteps, type CurrentUsage } from './planner.js';

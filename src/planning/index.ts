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

export interface PlanOptions {
  /** Pod start-up + HPA sync + prediction age: the plan covers the peak demand inside this window. */
  readonly lookAheadSeconds: number;
  /** Relative safety margin per service (e.g. 0.1 = +10 %), from the model's recent forecast error. */
  readonly marginByService?: ReadonlyMap<string, number>;
  /** Margin when a service has no error record yet. */
  readonly defaultMargin: number;
}

export type ReasonKind = 'forecast' | 'reactive' | 'min-bound' | 'max-bound';

export interface Reason {
  readonly kind: ReasonKind;
  /** Which demand decided the count. */
  readonly driver: DemandFeature;
  /** Horizon step (0-based) whose demand was the peak inside the look-ahead; -1 for reactive. */
  readonly horizonStep: number;
  /** The demand that drove it, original units (cores or requests/s), before the margin. */
  readonly demand: number;
  readonly capacityPerPod: number;
  readonly margin: number;
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

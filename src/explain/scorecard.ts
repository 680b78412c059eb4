/**
 * The preview scorecard: what happened beside what DeepScaler would have done, per service, from
 * the recorded steps. Pure arithmetic, so it can be checked by hand.
 *
 * One scored step of `seconds` compares, on the same demand:
 * - actual: the replicas that were running (whatever autoscaled them — the user's own HPA in
 *   preview mode);
 * - planned: the count DeepScaler published `delaySteps` data steps earlier — the plan that would
 *   have been running by now had the HPA followed it (pod start-up + HPA sync, rounded up to steps).
 * A side is under-provisioned when any demand with a known per-pod capacity (CPU cores, and request
 * rate when `reqPerPod` is set) exceeds replicas × that capacity, the same ruler the planner uses
 * (CPU request × target utilization). Replica-hours are replicas × step length.
 * A step is scored only when both sides and the demand are known, so both sums cover the same steps.
 */
import type { ServiceCapacity, CurrentUsage } from '../planning/index.js';

/** Float32 demand against decimal capacities: 0.3 cores on 3 × 0.1 must not count as short. */
const SLACK = 1e-6;

export interface ScoredSide {
  readonly underProvisionedMinutes: number;
  readonly replicaHours: number;
}

export interface ServiceScorecard {
  readonly service: string;
  /** Minutes of steps scored (demand, running and planned replicas all known). */
  readonly scoredMinutes: number;
  /** Steps seen but not scored (a gap, or no plan old enough yet). */
  readonly skippedSteps: number;
  readonly actual: ScoredSide;
  readonly planned: ScoredSide;
}

/** Demand above what `replicas` pods carry at the capacity per pod, on any known driver. */
export function underProvisioned(usage: Pick<CurrentUsage, 'cpuCores' | 'req'>, replicas: number, capacity: ServiceCapacity): boolean {
  const short = (demand: number, perPod: number | undefined): boolean =>
    perPod !== undefined && Number.isFinite(demand) && demand > replicas * perPod * (1 + SLACK) + SLACK;
  return short(usage.cpuCores, capacity.cpuPerPodCores) || short(usage.req, capacity.reqPerPod);
}

function hasDemand(usage: Pick<CurrentUsage, 'cpuCores' | 'req'>, capacity: ServiceCapacity): boolean {
  return Number.isFinite(usage.cpuCores) || (capacity.reqPerPod !== undefined && Number.isFinite(usage.req));
}

class Side {
  underSeconds = 0;
  replicaSeconds = 0;

  add(short: boolean, replicas: number, seconds: number): void {
    if (short) this.underSeconds += seconds;
    this.replicaSeconds += replicas * seconds;
  }

  view(): ScoredSide {
    return { underProvisionedMinutes: this.underSeconds / 60, replicaHours: this.replicaSeconds / 3600 };
  }
}

/** One service's running totals. */
export class ScorecardAccumulator {
  private scoredSeconds = 0;
  private skipped = 0;
  private readonly actual = new Side();
  private readonly planned = new Side();

  constructor(readonly capacity: ServiceCapacity) {}

  /**
   * Adds one step. `plannedReplicas` is null when no plan was in effect (start-up, or the app was
   * unavailable then); running replicas NaN when the source did not report them.
   */
  add(usage: CurrentUsage, plannedReplicas: number | null, seconds: number): boolean {
    const running = usage.replicas;
    if (plannedReplicas === null || !Number.isFinite(running) || !hasDemand(usage, this.capacity)) {
      this.skipped += 1;
      return false;
    }
    this.scoredSeconds += seconds;
    this.actual.add(underProvisioned(usage, running, this.capacity), running, seconds);
    this.planned.add(underProvisioned(usage, plannedReplicas, this.capacity), plannedReplicas, seconds);
    return true;
  }

  view(): ServiceScorecard {
    return {
      service: this.capacity.service,
      scoredMinutes: this.scoredSeconds / 60,
      skippedSteps: this.skipped,
      actual: this.actual.view(),
      planned: this.planned.view(),
    };
  }
}

/** Data steps between a plan and the step it is judged on: actuation time rounded up, at least one. */
export function delaySteps(actuationSeconds: number, stepSeconds: number): number {
  return Math.max(1, Math.ceil(actuationSeconds / stepSeconds - SLACK));
}

/**
 * The plans of the last few data steps, so that step t can be judged against the plan of t − delay.
 * `push` is called once per data step (null: nothing was planned then).
 */
export class PlanDelayLine {
  private readonly plans: (ReadonlyMap<string, number> | null)[] = [];

  constructor(private readonly delay: number) {}

  /** The plan that is in effect at the step being pushed, then remembers this step's plan. */
  push(plan: ReadonlyMap<string, number> | null): ReadonlyMap<string, number> | null {
    const inEffect = this.plans.length >= this.delay ? this.plans[this.plans.length - this.delay]! : null;
    this.plans.push(plan);
    if (this.plans.length > this.delay) this.plans.shift();
    return inEffect;
  }
}

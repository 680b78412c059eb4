/**
 * The HorizontalPodAutoscaler controller's algorithm (kube-controller-manager, autoscaling/v2),
 * reproduced step by step so that the simulator scales like a cluster would and so that we can
 * explain what an HPA will do with a served value. Sources: pkg/controller/podautoscaler/
 * horizontal.go and replica_calculator.go; spec: external-metrics-api.md §6.
 *
 * Time is plain seconds (the caller's clock); the controller calls `reconcile` once per sync period.
 * Comparisons against window cut-offs keep the controller's strictness (`After` vs `Before`), which
 * matters when syncs fall exactly on a window edge, as they do in a simulator.
 */
import { milli, withinTolerance } from '../core/index.js';

export const HPA_DEFAULTS = {
  syncPeriodSeconds: 15,
  tolerance: 0.1,
  downscaleStabilizationSeconds: 300,
  /** Without `behavior`: at most max(2 × current, 4) per sync. */
  scaleUpLimitFactor: 2,
  scaleUpLimitMinimum: 4,
} as const;

export interface HpaScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

export type HpaSelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface HpaScalingRules {
  readonly stabilizationWindowSeconds?: number;
  readonly selectPolicy?: HpaSelectPolicy;
  readonly policies?: readonly HpaScalingPolicy[];
}

export interface HpaBehavior {
  readonly scaleUp?: HpaScalingRules;
  readonly scaleDown?: HpaScalingRules;
}

export interface HpaSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Absent: the legacy path (300 s max-of-recommendations, scale-up limit max(2×, 4)). */
  readonly behavior?: HpaBehavior;
  /** --horizontal-pod-autoscaler-tolerance; default 0.1. */
  readonly tolerance?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization, used without `behavior`; default 300 s. */
  readonly downscaleStabilizationSeconds?: number;
}

/** One metric as the controller sees it at a sync. Values are in the metric's units (not milli). */
export type HpaMetric =
  | {
      /** External metric with target AverageValue: usage is the sum of all returned items. */
      readonly type: 'External';
      readonly target: 'AverageValue';
      readonly usage: number;
      readonly averageValue: number;
    }
  | {
      /** External metric with target Value: usage is the sum of all returned items. */
      readonly type: 'External';
      readonly target: 'Value';
      readonly usage: number;
      readonly value: number;
    }
  | {
      /**
       * Resource (CPU) with target Utilization. Pods are grouped as the controller does:
       * ready pods with a sample, unready pods (pending, or not yet ready / inside the CPU
       * initialization window), and missing pods (running but without a sample).
       */
      readonly type: 'Resource';
      readonly target: 'Utilization';
      /** Summed usage of the ready pods that have a sample, cores. */
      readonly readyUsageCores: number;
      readonly readyPods: number;
      readonly unreadyPods: number;
      readonly missingPods: number;
      /** CPU request of one pod, cores. */
      readonly podRequestCores: number;
      /** averageUtilization, percent of the request. */
      readonly averageUtilization: number;
    }
  | { readonly type: 'Failed'; readonly error: string };

export interface HpaObservation {
  /** The caller's clock, seconds. */
  readonly now: number;
  /** scale.spec.replicas. */
  readonly currentReplicas: number;
  /** scale.status.replicas (pods that exist); defaults to currentReplicas. */
  readonly statusReplicas?: number;
  /** Ready pods, for External Value targets; defaults to statusReplicas. */
  readonly readyPods?: number;
  readonly metrics: readonly HpaMetric[];
}

export interface HpaDecision {
  readonly desiredReplicas: number;
  /** The largest proposal over metrics, before stabilization and limits; null when none was valid. */
  readonly metricProposal: number | null;
  readonly rescale: boolean;
  /** Why the count is what it is, in the controller's words where it has them. */
  readonly reason: string;
}

interface TimedValue {
  readonly at: number;
  readonly value: number;
}

export interface MetricProposal {
  readonly replicas: number;
  /** The usage ratio the proposal came from (1 = at target). */
  readonly ratio: number;
}

/** GetExternalPerPodMetricReplicas: ceil(usage / target) unless within tolerance of status.replicas. */
export function externalAverageValueReplicas(usage: number, averageValue: number, statusReplicas: number, tolerance: number): MetricProposal {
  const usageMilli = milli(usage);
  const targetMilli = milli(averageValue);
  if (targetMilli <= 0) throw new Error(`External AverageValue target must be positive, got ${averageValue}`);
  const ratio = usageMilli / (targetMilli * statusReplicas);
  if (!withinTolerance(ratio, tolerance)) return { replicas: Math.ceil(usageMilli / targetMilli), ratio };
  return { replicas: statusReplicas, ratio };
}

/** GetExternalMetricReplicas: ceil(usage / target × ready pods) unless within tolerance. */
export function externalValueReplicas(usage: number, value: number, currentReplicas: number, readyPods: number, tolerance: number): MetricProposal {
  const ratio = milli(usage) / milli(value);
  if (currentReplicas === 0) return { replicas: Math.ceil(ratio), ratio };
  if (withinTolerance(ratio, tolerance)) return { replicas: currentReplicas, ratio };
  return { replicas: Math.ceil(ratio * readyPods), ratio };
}

/**
 * GetResourceReplicas for CPU utilization. Utilization is whole percent (integer division, as in
 * GetResourceUtilizationRatio). Missing pods count as at-target on scale-down and idle on scale-up;
 * unready pods count as idle on scale-up; a proposal that would flip direction keeps the count.
 */
export function resourceUtilizationReplicas(metric: Extract<HpaMetric, { type: 'Resource' }>, currentReplicas: number, tolerance: number): MetricProposal {
  const requestMilli = milli(metric.podRequestCores);
  const utilizationOf = (usageMilli: number, pods: number): number => Math.floor((usageMilli * 100) / (requestMilli * pods));
  const readyMilli = milli(metric.readyUsageCores);
  if (metric.readyPods === 0) {
    // No samples at all: the controller errors ("did not receive metrics for any ready pods").
    throw new Error('no CPU metrics for any ready pod');
  }
  const ratio = utilizationOf(readyMilli, metric.readyPods) / metric.averageUtilization;
  const scaleUpWithUnready = metric.unreadyPods > 0 && ratio > 1;
  if (!scaleUpWithUnready && metric.missingPods === 0) {
    if (withinTolerance(ratio, tolerance)) return { replicas: currentReplicas, ratio };
    return { replicas: Math.ceil(ratio * metric.readyPods), ratio };
  }
  let usageMilli = readyMilli;
  let pods = metric.readyPods;
  if (metric.missingPods > 0) {
    // Scale-down: missing pods are assumed at max(target, 100 %) of their request; scale-up: idle.
    if (ratio < 1) usageMilli += metric.missingPods * Math.floor((requestMilli * Math.max(metric.averageUtilization, 100)) / 100);
    if (ratio !== 1) pods += metric.missingPods;
  }
  if (scaleUpWithUnready) pods += metric.unreadyPods;
  const newRatio = utilizationOf(usageMilli, pods) / metric.averageUtilization;
  if (withinTolerance(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { replicas: currentReplicas, ratio: newRatio };
  }
  const replicas = Math.ceil(newRatio * pods);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) {
    return { replicas: currentReplicas, ratio: newRatio };
  }
  return { replicas, ratio: newRatio };
}

interface ResolvedRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: HpaSelectPolicy;
  readonly policies: readonly HpaScalingPolicy[];
}

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: unset fields take the API defaults. */
function resolveRules(rules: HpaScalingRules | undefined, direction: 'up' | 'down', defaultDownWindow: number): ResolvedRules {
  const defaults: ResolvedRules =
    direction === 'up'
      ? {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Pods', value: 4, periodSeconds: 15 },
            { type: 'Percent', value: 100, periodSeconds: 15 },
          ],
        }
      : { stabilizationWindowSeconds: defaultDownWindow, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies && rules.policies.length > 0 ? rules.policies : defaults.policies,
  };
}

function validateSpec(spec: HpaSpec): void {
  if (!Number.isInteger(spec.minReplicas) || spec.minReplicas < 1) throw new Error(`HPA minReplicas must be a whole number ≥ 1, got ${spec.minReplicas}`);
  if (!Number.isInteger(spec.maxReplicas) || spec.maxReplicas < spec.minReplicas) {
    throw new Error(`HPA maxReplicas must be a whole number ≥ minReplicas (${spec.minReplicas}), got ${spec.maxReplicas}`);
  }
  for (const [name, rules] of [
    ['scaleUp', spec.behavior?.scaleUp],
    ['scaleDown', spec.behavior?.scaleDown],
  ] as const) {
    for (const [i, p] of (rules?.policies ?? []).entries()) {
      if (!(p.value > 0) || !(p.periodSeconds > 0) || p.periodSeconds > 1800) {
        throw new Error(`HPA behavior.${name}.policies[${i}]: value must be > 0 and periodSeconds in (0, 1800], got ${p.value}/${p.periodSeconds}s`);
      }
    }
  }
}

/** One HPA's controller state: its recommendation history and (with `behavior`) its scale events. */
export class HorizontalPodAutoscaler {
  private readonly tolerance: number;
  private readonly up: ResolvedRules;
  private readonly down: ResolvedRules;
  private recommendations: TimedValue[] | null = null;
  private readonly scaleUpEvents: TimedValue[] = [];
  private readonly scaleDownEvents: TimedValue[] = [];
  private readonly longestPeriod: number;

  constructor(readonly spec: HpaSpec) {
    validateSpec(spec);
    this.tolerance = spec.tolerance ?? HPA_DEFAULTS.tolerance;
    const downWindow = spec.downscaleStabilizationSeconds ?? HPA_DEFAULTS.downscaleStabilizationSeconds;
    this.up = resolveRules(spec.behavior?.scaleUp, 'up', downWindow);
    this.down = resolveRules(spec.behavior?.scaleDown, 'down', downWindow);
    this.longestPeriod = Math.max(...[...this.up.policies, ...this.down.policies].map((p) => p.periodSeconds));
  }

  /** One sync of the controller (reconcileAutoscaler). Call once per sync period. */
  reconcile(obs: HpaObservation): HpaDecision {
    const { now, currentReplicas } = obs;
    const { minReplicas, maxReplicas } = this.spec;
    // The controller seeds a new HPA's history with status.desiredReplicas, so a restart does not
    // scale in at once; a simulated HPA starts on a settled deployment, where that is the current count.
    if (this.recommendations === null) this.recommendations = [{ at: now, value: currentReplicas }];
    if (currentReplicas === 0) return this.decide(obs, 0, null, 'scaling is disabled since the replica count of the target is zero');
    if (currentReplicas > maxReplicas) return this.decide(obs, maxReplicas, null, 'current number of replicas above spec.maxReplicas');
    if (currentReplicas < minReplicas) return this.decide(obs, minReplicas, null, 'current number of replicas below spec.minReplicas');

    const proposal = this.computeReplicasForMetrics(obs);
    if (proposal.replicas === null) return this.decide(obs, currentReplicas, null, proposal.reason);
    const desired =
      this.spec.behavior === undefined
        ? this.normalizeWithoutBehavior(now, currentReplicas, proposal.replicas)
        : this.normalizeWithBehavior(now, currentReplicas, proposal.replicas);
    return this.decide(obs, desired.replicas, proposal.replicas, `${proposal.reason}; ${desired.reason}`);
  }

  private decide(obs: HpaObservation, desired: number, metricProposal: number | null, reason: string): HpaDecision {
    const rescale = desired !== obs.currentReplicas;
    if (rescale && this.spec.behavior !== undefined) this.storeScaleEvent(obs.now, obs.currentReplicas, desired);
    return { desiredReplicas: desired, metricProposal, rescale, reason };
  }

  /** The max of the metrics' proposals; a failed metric blocks a scale-down (never a scale-up). */
  private computeReplicasForMetrics(obs: HpaObservation): { replicas: number | null; reason: string } {
    const status = obs.statusReplicas ?? obs.currentReplicas;
    let best: { replicas: number; name: string } | null = null;
    const errors: string[] = [];
    for (const [i, m] of obs.metrics.entries()) {
      let proposal: MetricProposal;
      try {
        if (m.type === 'Failed') throw new Error(m.error);
        if (m.type === 'Resource') proposal = resourceUtilizationReplicas(m, obs.currentReplicas, this.tolerance);
        else if (m.target === 'AverageValue') proposal = externalAverageValueReplicas(m.usage, m.averageValue, status, this.tolerance);
        else proposal = externalValueReplicas(m.usage, m.value, obs.currentReplicas, obs.readyPods ?? status, this.tolerance);
      } catch (err) {
        errors.push(`metric ${i}: ${(err as Error).message}`);
        continue;
      }
      if (best === null || proposal.replicas > best.replicas) best = { replicas: proposal.replicas, name: `metric ${i} (${m.type})` };
    }
    if (best === null) return { replicas: null, reason: `no metric could be computed (${errors.join('; ') || 'no metrics'})` };
    if (errors.length > 0 && best.replicas < obs.currentReplicas) {
      return { replicas: null, reason: `not scaling down while a metric fails (${errors.join('; ')})` };
    }
    return { replicas: best.replicas, reason: `${best.name} proposes ${best.replicas}` };
  }

  /** normalizeDesiredReplicas: max of recommendations in the window, then min/max and max(2×, 4). */
  private normalizeWithoutBehavior(now: number, current: number, proposal: number): { replicas: number; reason: string } {
    const cutoff = now - (this.spec.downscaleStabilizationSeconds ?? HPA_DEFAULTS.downscaleStabilizationSeconds);
    const recs = this.recommendations!;
    let stabilized = proposal;
    let oldIndex = -1;
    for (const [i, rec] of recs.entries()) {
      if (rec.at < cutoff) oldIndex = i;
      else stabilized = Math.max(stabilized, rec.value);
    }
    this.record(recs, oldIndex, { at: now, value: proposal });
    const scaleUpLimit = Math.max(HPA_DEFAULTS.scaleUpLimitFactor * current, HPA_DEFAULTS.scaleUpLimitMinimum);
    const maximum = Math.min(this.spec.maxReplicas, scaleUpLimit);
    if (stabilized < this.spec.minReplicas) return { replicas: this.spec.minReplicas, reason: 'TooFewReplicas' };
    if (stabilized > maximum) return { replicas: maximum, reason: maximum === scaleUpLimit ? 'ScaleUpLimit' : 'TooManyReplicas' };
    return { replicas: stabilized, reason: stabilized > proposal ? 'ScaleDownStabilized' : 'DesiredWithinRange' };
  }

  /** normalizeDesiredReplicasWithBehaviors: up/down stabilization windows, then policy rate limits. */
  private normalizeWithBehavior(now: number, current: number, proposal: number): { replicas: number; reason: string } {
    const upCutoff = now - this.up.stabilizationWindowSeconds;
    const downCutoff = now - this.down.stabilizationWindowSeconds;
    const recs = this.recommendations!;
    let upRecommendation = proposal;
    let downRecommendation = proposal;
    let oldIndex = -1;
    for (const [i, rec] of recs.entries()) {
      if (rec.at > upCutoff) upRecommendation = Math.min(rec.value, upRecommendation);
      if (rec.at > downCutoff) downRecommendation = Math.max(rec.value, downRecommendation);
      if (rec.at < upCutoff && rec.at < downCutoff) oldIndex = i;
    }
    const stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
    this.record(recs, oldIndex, { at: now, value: proposal });
    const stabilizedReason = stabilized !== proposal ? 'ScaleStabilized; ' : '';

    if (stabilized > current) {
      const limit = Math.max(current, this.scaleLimit(now, current, this.up, 'up'));
      const maximum = Math.min(this.spec.maxReplicas, limit);
      if (stabilized > maximum) return { replicas: maximum, reason: stabilizedReason + (maximum === limit ? 'ScaleUpLimit' : 'TooManyReplicas') };
    } else if (stabilized < current) {
      const limit = Math.min(current, this.scaleLimit(now, current, this.down, 'down'));
      const minimum = Math.max(this.spec.minReplicas, limit);
      if (stabilized < minimum) return { replicas: minimum, reason: stabilizedReason + (minimum === limit ? 'ScaleDownLimit' : 'TooFewReplicas') };
    }
    return { replicas: stabilized, reason: stabilizedReason + 'DesiredWithinRange' };
  }

  /** Replaces the sample that fell out of every window, else appends (the controller's reuse). */
  private record(recs: TimedValue[], oldIndex: number, rec: TimedValue): void {
    if (oldIndex >= 0) recs[oldIndex] = rec;
    else recs.push(rec);
  }

  /** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors. */
  private scaleLimit(now: number, current: number, rules: ResolvedRules, direction: 'up' | 'down'): number {
    if (rules.selectPolicy === 'Disabled') return current;
    // Up: Max picks the most permissive (largest) limit; down: Max picks the most permissive (smallest).
    const pickLargest = (direction === 'up') === (rules.selectPolicy === 'Max');
    let result = pickLargest ? -Infinity : Infinity;
    for (const policy of rules.policies) {
      const added = this.changeInPeriod(this.scaleUpEvents, now, policy.periodSeconds);
      const deleted = this.changeInPeriod(this.scaleDownEvents, now, policy.periodSeconds);
      const periodStart = current - added + deleted;
      let proposed: number;
      if (direction === 'up') {
        proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
      } else {
        proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
      }
      result = pickLargest ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private changeInPeriod(events: readonly TimedValue[], now: number, periodSeconds: number): number {
    const cutoff = now - periodSeconds;
    let sum = 0;
    for (const e of events) if (e.at > cutoff) sum += e.value;
    return sum;
  }

  /** storeScaleEvent: events older than the longest policy period are dropped. */
  private storeScaleEvent(now: number, previous: number, next: number): void {
    const events = next > previous ? this.scaleUpEvents : this.scaleDownEvents;
    const cutoff = now - this.longestPeriod;
    for (const list of [this.scaleUpEvents, this.scaleDownEvents]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.at <= cutoff) list.splice(i, 1);
    }
    events.push({ at: now, value: Math.abs(next - previous) });
  }
}

/**
 * The cluster: pods per service and a fluid queue in front of each service, advanced one step at a
 * time. Per step and service:
 *   arrivals = visits × external rate × dt;  capacity = ready pods × (CPU limit / CPU per request) × dt
 *   served   = min(queue + arrivals, capacity); whatever would wait longer than the client timeout
 *   is dropped; the rest stays queued, so  arrived = served + queued + dropped  holds at all times.
 * Latency at a service is processor sharing on its pods, S / (1 − ρ), plus the wait for the fluid
 * backlog; a request's end-to-end latency adds its callees' latencies along the call graph.
 * A new pod starts serving after a seeded start-up delay (default uniform 30–60 s), pro rata within
 * the step it becomes ready in; a removed pod costs its request for its termination grace period.
 * A pod computes up to its CPU limit (AppModel.cpuCapacityCores).
 */
import { podThroughput, serviceTime, solveIdentityMinus, type AppModel } from './app.js';
import { createRandom, deriveSeed, type Random } from '../util/index.js';

export interface ClusterOptions {
  readonly stepSeconds: number;
  /** Pod start-up delay, uniform in [min, max] seconds. */
  readonly startupSeconds?: readonly [number, number];
  /** A request queued longer than this is dropped (client timeout). */
  readonly queueTimeoutSeconds?: number;
  /**
   * Relative standard deviation of a pod's idle CPU from step to step (GC, probes); real idle CPU
   * is never a constant, and a constant series tells a forecaster nothing about its scale.
   */
  readonly idleJitter?: number;
  /**
   * A removed pod stops serving at once but keeps its CPU request (its node slot) until it has
   * shut down: terminationGracePeriodSeconds, Kubernetes' default 30 s (the worst case).
   */
  readonly terminationGraceSeconds?: number;
  /** Replicas at t = 0, per service name; default 1 each. All start ready. */
  readonly initialReplicas?: ReadonlyMap<string, number>;
  readonly seed?: number;
}

export const DEFAULT_STARTUP_SECONDS: readonly [number, number] = [30, 60];
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 10;
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
export const DEFAULT_IDLE_JITTER = 0.2;
/** Utilization at which processor sharing is evaluated at most; the backlog takes over beyond it. */
const MAX_RHO = 0.98;

/** The end-to-end latency of the requests that entered in one step: D + Gamma(shape, scale), or failed. */
export interface LatencyDistribution {
  /** External requests in the step. */
  readonly requests: number;
  /** Mean end-to-end latency, s. */
  readonly mean: number;
  /** Fixed part: waiting for backlogs, s. */
  readonly delay: number;
  /** Gamma shape/scale matched to the mean and variance of the processor-sharing part. */
  readonly shape: number;
  readonly scale: number;
  /** Share of requests dropped somewhere along the call graph. */
  readonly failed: number;
}

export class Cluster {
  readonly n: number;
  /** Simulated seconds since the start. */
  now = 0;
  /** Per-pod ready time (s) per service, ascending. */
  private readonly pods: number[][];
  private readonly random: Random;
  private readonly idleRandom: Random;
  private readonly idleJitter: number;
  private readonly startup: readonly [number, number];
  private readonly timeout: number;
  private readonly grace: number;
  /** Per service, when each terminating pod is gone (s). */
  private readonly terminating: number[][];
  /** Row-major (I − C)⁻¹, so end-to-end latencies E = latencyWeights · T. */
  private readonly latencyWeights: Float64Array;

  // Per-step outputs (overwritten each step; read them before the next one).
  readonly arrivals: Float64Array;
  readonly served: Float64Array;
  readonly dropped: Float64Array;
  readonly queue: Float64Array;
  readonly cpuCores: Float64Array;
  /** Mean response time including callees, s (what Istio's destination latency measures). */
  readonly latency: Float64Array;
  readonly utilization: Float64Array;
  /** CPU used by pods that were ready for the whole step, and how many they were. */
  readonly settledUsageCores: Float64Array;
  readonly settledPods: Float64Array;
  e2e: LatencyDistribution = { requests: 0, mean: 0, delay: 0, shape: 1, scale: 0, failed: 0 };

  // Totals since the start, for conservation and reports.
  readonly totalArrived: Float64Array;
  readonly totalServed: Float64Array;
  readonly totalDropped: Float64Array;
  /** CPU seconds used, and Σ served × latency (s), for counters a scraper would rate(). */
  readonly totalCpuSeconds: Float64Array;
  readonly totalLatencySeconds: Float64Array;
  /** Requested core-seconds of all pods that existed, starting or not. */
  requestedCoreSeconds = 0;
  scalingActions = 0;

  /** Per-step processor-sharing time and backlog wait at each service, s. */
  private readonly sharingTime: Float64Array;
  private readonly waitTime: Float64Array;

  constructor(
    readonly app: AppModel,
    private readonly options: ClusterOptions,
  ) {
    const n = app.services.length;
    this.n = n;
    if (!(options.stepSeconds > 0)) throw new Error(`simulation step must be positive, got ${options.stepSeconds}`);
    this.startup = options.startupSeconds ?? DEFAULT_STARTUP_SECONDS;
    if (!(this.startup[0] >= 0 && this.startup[1] >= this.startup[0])) throw new Error(`start-up delay must be 0 ≤ min ≤ max, got ${this.startup.join('–')} s`);
    this.timeout = options.queueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_SECONDS;
    this.grace = options.terminationGraceSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
    if (!(this.grace >= 0)) throw new Error(`termination grace period must be ≥ 0 s, got ${this.grace}`);
    this.random = createRandom(deriveSeed(options.seed ?? 1, 'pod-startup'));
    this.idleRandom = createRandom(deriveSeed(options.seed ?? 1, 'idle-cpu'));
    this.idleJitter = options.idleJitter ?? DEFAULT_IDLE_JITTER;
    for (const name of options.initialReplicas?.keys() ?? []) {
      if (!app.services.includes(name)) throw new Error(`initial replicas given for "${name}", which is not a service of ${app.name}`);
    }
    this.pods = app.services.map((name) => new Array<number>(Math.max(1, options.initialReplicas?.get(name) ?? 1)).fill(0));
    this.terminating = app.services.map(() => []);
    const columns = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const col = solveIdentityMinus(app.calls, e, `${app.name}: latency`);
      for (let i = 0; i < n; i++) columns[i * n + j] = col[i]!;
    }
    this.latencyWeights = columns;
    const make = (): Float64Array => new Float64Array(n);
    this.arrivals = make();
    this.served = make();
    this.dropped = make();
    this.queue = make();
    this.cpuCores = make();
    this.latency = make();
    this.utilization = make();
    this.settledUsageCores = make();
    this.settledPods = make();
    this.totalArrived = make();
    this.totalServed = make();
    this.totalDropped = make();
    this.totalCpuSeconds = make();
    this.totalLatencySeconds = make();
    this.sharingTime = make();
    this.waitTime = make();
  }

  get stepSeconds(): number {
    return this.options.stepSeconds;
  }

  /** Pods that exist (starting or ready) — what the Deployment's spec.replicas says. */
  replicas(s: number): number {
    return this.pods[s]!.length;
  }

  readyPods(s: number, at = this.now): number {
    let ready = 0;
    for (const t of this.pods[s]!) if (t <= at) ready++;
    return ready;
  }

  /** Memory use as a share of the limit: the model has no memory, so a synthetic 25 % + 50 % × utilization. */
  memoryShare(s: number): number {
    return 0.25 + 0.5 * this.utilization[s]!;
  }

  /** Scales a service now: new pods get a start-up delay; removal takes starting pods first, then the newest. */
  setReplicas(s: number, replicas: number): void {
    const pods = this.pods[s]!;
    const target = Math.max(0, Math.round(replicas));
    if (target === pods.length) return;
    this.scalingActions++;
    while (pods.length < target) {
      const readyAt = this.now + this.random.uniform(this.startup[0], this.startup[1]);
      let i = pods.length;
      while (i > 0 && pods[i - 1]! > readyAt) i--;
      pods.splice(i, 0, readyAt);
    }
    for (let i = target; i < pods.length; i++) this.terminating[s]!.push(this.now + this.grace);
    pods.length = target;
  }

  /** Advances one step with `externalRate` requests/s arriving at the entry service. */
  step(externalRate: number): void {
    const dt = this.options.stepSeconds;
    const { app, n } = this;
    const end = this.now + dt;
    for (let s = 0; s < n; s++) {
      const pods = this.pods[s]!;
      let readyShare = 0;
      let settled = 0;
      for (const readyAt of pods) {
        readyShare += Math.min(1, Math.max(0, (end - readyAt) / dt));
        if (readyAt <= this.now) settled++;
      }
      const throughput = podThroughput(app, s);
      const capacity = readyShare * throughput * dt;
      const arrived = app.visits[s]! * externalRate * dt;
      const present = this.queue[s]! + arrived;
      const served = Math.min(present, capacity);
      const maxQueue = readyShare * throughput * this.timeout;
      const dropped = Math.max(0, present - served - maxQueue);
      const queued = present - served - dropped;
      const rho = capacity > 0 ? served / capacity : present > 0 ? 1 : 0;
      const busyCores = (served * app.cpuSecondsPerRequest[s]!) / dt;
      this.arrivals[s] = arrived;
      this.served[s] = served;
      this.dropped[s] = dropped;
      this.queue[s] = queued;
      this.utilization[s] = rho;
      const idle = app.idleCoresPerPod * Math.max(0, 1 + this.idleJitter * this.idleRandom.normal());
      this.cpuCores[s] = busyCores + idle * readyShare;
      // Usage attributed to pods ready all step, pro rata of their share of the capacity.
      this.settledPods[s] = settled;
      this.settledUsageCores[s] = readyShare > 0 ? (this.cpuCores[s]! * settled) / readyShare : 0;
      this.waitTime[s] = readyShare > 0 ? queued / (readyShare * throughput) : this.timeout;
      this.sharingTime[s] = serviceTime(app, s) / (1 - Math.min(rho, MAX_RHO));
      this.totalArrived[s] = this.totalArrived[s]! + arrived;
      this.totalServed[s] = this.totalServed[s]! + served;
      this.totalDropped[s] = this.totalDropped[s]! + dropped;
      // Terminating pods hold their request for the part of the step before they are gone.
      const leaving = this.terminating[s]!;
      let leavingSeconds = 0;
      for (const gone of leaving) leavingSeconds += Math.min(dt, Math.max(0, gone - this.now));
      this.terminating[s] = leaving.filter((gone) => gone > end);
      this.requestedCoreSeconds += (pods.length * dt + leavingSeconds) * app.cpuRequestCores[s]!;
    }
    this.e2e = this.endToEnd(externalRate * dt);
    for (let s = 0; s < n; s++) {
      this.totalCpuSeconds[s] = this.totalCpuSeconds[s]! + this.cpuCores[s]! * dt;
      this.totalLatencySeconds[s] = this.totalLatencySeconds[s]! + this.served[s]! * this.latency[s]!;
    }
    this.now = end;
  }

  private endToEnd(requests: number): LatencyDistribution {
    const { app, n } = this;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += this.latencyWeights[i * n + j]! * (this.sharingTime[j]! + this.waitTime[j]!);
      this.latency[i] = sum;
    }
    let delay = 0;
    let psMean = 0;
    let psVar = 0;
    let logSurvive = 0;
    for (let s = 0; s < n; s++) {
      const v = app.visits[s]!;
      if (v === 0) continue;
      const ps = this.sharingTime[s]!;
      delay += v * this.waitTime[s]!;
      psMean += v * ps;
      psVar += v * ps * ps;
      const present = this.served[s]! + this.dropped[s]! + this.queue[s]!;
      const dropShare = present > 0 ? this.dropped[s]! / present : 0;
      logSurvive += v * Math.log1p(-Math.min(dropShare, 1 - 1e-12));
    }
    const shape = psVar > 0 ? (psMean * psMean) / psVar : 1;
    const scale = psMean > 0 ? psVar / psMean : 0;
    return { requests, mean: this.latency[app.entry]!, delay, shape, scale, failed: 1 - Math.exp(logSurvive) };
  }

  /** Calls per second along each edge in the last step (served requests × calls per request). */
  edgeRates(): Array<{ from: string; to: string; rate: number }> {
    const { app, n } = this;
    const out: Array<{ from: string; to: string; rate: number }> = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const c = app.calls[i * n + j]!;
        if (c > 0) out.push({ from: app.services[i]!, to: app.services[j]!, rate: (this.served[i]! * c) / this.options.stepSeconds });
      }
    }
    return out;
  }
}

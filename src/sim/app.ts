/**
 * The simulated application: a topology file plus a CPU cost per request for each service.
 * Requests enter at the entry service and fan out along the edges; with calls per request C
 * (C[i][j] = calls to j per request i receives) the per-service request rates solve r = e + Cᵀr
 * (a linear system, so Train-Ticket's cycles are fine as long as every cycle loses calls), and the
 * mean end-to-end latency solves E = T + C·E (each call waits for its callees, one after another).
 */
import type { Topology } from '../graph/index.js';

/**
 * Default CPU cost of one request at any service: 2 ms of CPU. The topology files carry no costs
 * (the public sources have none); 2 ms gives an Online Boutique pod (100 m request) a 20 ms service
 * time and 50 requests/s, the order of its published load tests.
 */
export const DEFAULT_CPU_SECONDS_PER_REQUEST = 0.002;

/** Idle CPU of a running pod (JVM/GC/health checks), cores. */
export const DEFAULT_IDLE_CORES_PER_POD = 0.002;

export interface AppOptions {
  /** CPU seconds one request costs, per service; services not listed use `defaultCpuSecondsPerRequest`. */
  readonly cpuSecondsPerRequest?: ReadonlyMap<string, number>;
  readonly defaultCpuSecondsPerRequest?: number;
  readonly idleCoresPerPod?: number;
  /**
   * A pod bursts up to its CPU limit (CFS quota: a request runs at core speed until the pod is
   * throttled at the limit) — the default, as Kubernetes runs pods; false computes at the request only.
   */
  readonly burstToLimit?: boolean;
}

export interface AppModel {
  readonly name: string;
  readonly services: readonly string[];
  readonly entry: number;
  /** Row-major N×N calls per request, C[i * N + j] = calls i makes to j per request it receives. */
  readonly calls: Float64Array;
  /** Requests each service receives per external request (r with e = 1 at the entry). */
  readonly visits: Float64Array;
  readonly cpuSecondsPerRequest: Float64Array;
  readonly cpuRequestCores: Float64Array;
  /** The CPU limit of one pod (the request where the topology gives none). */
  readonly cpuLimitCores: Float64Array;
  /** The CPU one pod computes with: its limit (bursting), or its request without `burstToLimit`. */
  readonly cpuCapacityCores: Float64Array;
  readonly idleCoresPerPod: number;
}

/**
 * Solves (I − M)x = b by Gaussian elimination with partial pivoting; M row-major N×N.
 * Throws when the system is singular (a cycle that multiplies calls forever).
 */
export function solveIdentityMinus(m: Float64Array, b: Float64Array, what: string): Float64Array {
  const n = b.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? 1 : 0) - m[i * n + j]!;
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (Math.abs(a[pivot * n + col]!) < 1e-12) throw new Error(`${what}: the call graph has a cycle whose calls never die out (singular system)`);
    if (pivot !== col) {
      for (let j = 0; j < n; j++) [a[col * n + j], a[pivot * n + j]] = [a[pivot * n + j]!, a[col * n + j]!];
      [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    }
    for (let r = col + 1; r < n; r++) {
      const factor = a[r * n + col]! / a[col * n + col]!;
      if (factor === 0) continue;
      for (let j = col; j < n; j++) a[r * n + j] = a[r * n + j]! - factor * a[col * n + j]!;
      x[r] = x[r]! - factor * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let sum = x[r]!;
    for (let j = r + 1; j < n; j++) sum -= a[r * n + j]! * x[j]!;
    x[r] = sum / a[r * n + r]!;
  }
  return x;
}

export function transpose(m: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = m[i * n + j]!;
  return t;
}

export function buildApp(topology: Topology, options: AppOptions = {}): AppModel {
  const services = topology.services.map((s) => s.name);
  const n = services.length;
  const index = new Map(services.map((name, i) => [name, i] as const));
  const calls = new Float64Array(n * n);
  for (const edge of topology.edges) calls[index.get(edge.from)! * n + index.get(edge.to)!]! += edge.callsPerRequest;

  const defaultCost = options.defaultCpuSecondsPerRequest ?? DEFAULT_CPU_SECONDS_PER_REQUEST;
  for (const [name, cost] of options.cpuSecondsPerRequest ?? []) {
    if (!index.has(name)) throw new Error(`CPU cost given for "${name}", which is not a service of ${topology.name} (has: ${services.join(', ')})`);
    if (!(cost > 0)) throw new Error(`CPU cost of "${name}" must be positive, got ${cost}`);
  }
  if (!(defaultCost > 0)) throw new Error(`default CPU cost per request must be positive, got ${defaultCost}`);

  const entry = index.get(topology.entry)!;
  const external = new Float64Array(n);
  external[entry] = 1;
  const visits = solveIdentityMinus(transpose(calls, n), external, `${topology.name}: request rates`);
  const negative = visits.findIndex((v) => v < -1e-9);
  if (negative >= 0) throw new Error(`${topology.name}: the call graph gives ${services[negative]} a negative request rate (a cycle with gain ≥ 1)`);

  const cpuRequestCores = Float64Array.from(topology.services, (s) => s.cpuRequestMillicores / 1000);
  const cpuLimitCores = Float64Array.from(topology.services, (s) => (s.cpuLimitMillicores ?? s.cpuRequestMillicores) / 1000);
  return {
    name: topology.name,
    services,
    entry,
    calls,
    visits: visits.map((v) => Math.max(0, v)),
    cpuSecondsPerRequest: Float64Array.from(services, (name) => options.cpuSecondsPerRequest?.get(name) ?? defaultCost),
    cpuRequestCores,
    cpuLimitCores,
    cpuCapacityCores: options.burstToLimit === false ? cpuRequestCores : cpuLimitCores,
    idleCoresPerPod: options.idleCoresPerPod ?? DEFAULT_IDLE_CORES_PER_POD,
  };
}

/** Requests one pod completes per second when busy: its CPU capacity over the cost of a request. */
export function podThroughput(app: AppModel, s: number): number {
  return app.cpuCapacityCores[s]! / app.cpuSecondsPerRequest[s]!;
}

/** Time one request takes on an idle pod: a request runs on one thread, so at most one core. */
export function serviceTime(app: AppModel, s: number): number {
  return app.cpuSecondsPerRequest[s]! / Math.min(1, app.cpuCapacityCores[s]!);
}

/** Parses `name=ms,name=ms` (CPU milliseconds per request) as given on the command line. */
export function parseCpuCosts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const [name, ms] = part.split('=');
    const value = Number(ms);
    if (!name || ms === undefined || !(value > 0)) throw new Error(`CPU cost "${part}": expected <service>=<milliseconds>, e.g. frontend=4`);
    out.set(name.trim(), value / 1000);
  }
  return out;
}

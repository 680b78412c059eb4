/**
 * The simulator: a microservice application (topology file + CPU cost per request) under a
 * workload trace, on a cluster whose pods start after a delay, scaled by pluggable autoscalers
 * through the real HPA algorithm. Deterministic under a seed; a day of Train-Ticket at 15 s steps
 * simulates in seconds.
 *
 *   buildApp(topology)            → AppModel (request fan-out r = e + Cᵀr, costs, CPU)
 *   loadTrace / buildWorkload     → external requests/s per step
 *   Autoscaler                    → what each service's HPA reads at a sync
 *   simulate(spec, autoscaler)    → outcome (SLO violations, latency percentiles, CPU cost, actions),
 *                                   series for plots, and optionally a Dataset for training
 *   SimulatorSource (sources/simulator.ts) → the same simulation as a MetricsSource
 */
export { buildApp, type AppModel, type AppOptions } from './app.js';
export { type Autoscaler, type ScalingSettings, type ScalingView } from './autoscalers.js';
export { HorizontalPodAutoscaler, type HpaSpec } from './hpa.js';
export { type ClusterOptions, type LatencyDistribution } from './cluster.js';
export { simulate, Simulation, type RunResult, type RunSummary, type SimulationSpec } from './run.js';
export { buildWorkload, loadTrace, type Trace, type WorkloadOptions } from './workload.js';

export { parseCpuCosts } from './app.js';
export { CpuHpaAutoscaler, DEFAULT_CPU_METRICS_LAG_SECONDS, DEFAULT_SCALING, hpaSpecFor, OracleForecaster } from './autoscalers.js';
export { DEFAULT_QUEUE_TIMEOUT_SECONDS, DEFAULT_STARTUP_SECONDS } from './cluster.js';
export { HPA_DEFAULTS, type HpaMetric } from './hpa.js';
export { PhpaAutoscaler } from './phpa.js';
export { settledReplicas } from './run.js';
export { parseSimulatorSourceConfig, planSimulatorSource } from './simulator-source.js';

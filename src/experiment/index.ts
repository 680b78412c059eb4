/**
 * Experiments: one application under one workload, every autoscaler swept over its own knob on
 * equal HPA terms, read as violations-vs-cost frontiers against a cost floor and perfect foresight.
 * The one runner of `simulate` (cli/simulate.ts) and `bench/sim`.
 *
 *   runScenario(options)   → file names and numbers in, one report per seed out (scenario.ts)
 *   runExperiment(options) → the frontiers of one seed (runner.ts)
 *   frontier.ts            → Pareto frontier, violations at equal cost, cost at equal violations
 *   report.ts              → results.md, outcome.json (the stable `--json` format), frontier.svg
 */
export { runScenario, type ScenarioOptions, type SeedOutcome } from './scenario.js';
export { AUTOSCALER_NAMES, runExperiment, type AutoscalerName, type ExperimentOptions, type ExperimentResult } from './runner.js';
export { costAtViolations, paretoFrontier, violationsAtCost, type CostPoint } from './frontier.js';
export { outcomeJson, writeExperimentReport, type OutcomeJson } from './report.js';

export { DEFAULT_PROMETHEUS_LAG_SECONDS, DEFAULT_RISK_SWEEP, DEFAULT_TARGET_SWEEP } from './runner.js';

/**
 * Sources: where frames come from — Prometheus (and the Istio call graph it holds) and a recorded
 * dataset replayed — and registry.ts, the one table that parses and builds every kind of source from
 * the configuration, the simulated cluster's (src/sim) included.
 */
export { checkEdgesTemplate, discoverIstioWorkloads, istioCallGraph } from './istio.js';
export { PrometheusClient } from './prometheus-client.js';
export { expectNamespace, expectPrometheusUrl, parsePrometheusSourceConfig, PrometheusSource, prometheusSourceConfig } from './prometheus.js';
export { parseSourceConfig, planSource, SOURCE_KINDS, type SourceConfig, type SourcePace, type SourcePlan } from './registry.js';

#!/usr/bin/env node
// Generates the Grafana dashboard and the Prometheus alert rules from one list of metric names, so
// the dashboard, the rules, the PrometheusRule and the e2e check can never disagree.
//   node manifests/monitoring/generate.mjs          (rewrites the files below)
//   node manifests/monitoring/generate.mjs --check  (exit 1 if they are out of date; used by e2e)
//
// Metric names this dashboard needs from the adapter's /metrics (src/telemetry, src/serving).
// Keep this list in step with the code; the e2e test queries every expression against a real
// Prometheus scraping the adapter and fails when one returns nothing.
//   deepscaler_predicted_demand{namespace,app,service,feature}  gauge  peak forecast demand in the look-ahead (cpu cores / req/s)
//   deepscaler_actual_demand{namespace,app,service,feature}     gauge  newest observed demand
//   deepscaler_desired_replicas{namespace,app,service}          gauge  replicas served to the HPA
//   deepscaler_current_replicas{namespace,app,service}          gauge  Deployment .status.replicas
//   deepscaler_forecast_error_ratio{namespace,app,service}      gauge  recent relative forecast error (MAPE)
//   deepscaler_underprovision_ratio{namespace,app,service,feature}   gauge  realized miss rate of the calibrated plan
//   deepscaler_calibration_correction{namespace,app,service,feature} gauge  factor on the forecast peak
//   deepscaler_risk_ratio{namespace,app,service}                 gauge  the configured risk (target miss rate)
//   deepscaler_prediction_age_seconds{namespace,app}            gauge  now − timestamp of the served data
//   deepscaler_prediction_stale{namespace,app}                  gauge  1 when past the max age
//   deepscaler_fallback_active{namespace,app,policy}            gauge  1 while a fallback shapes the values
//   deepscaler_api_requests_total{route,code}                   counter
//   deepscaler_api_request_duration_seconds{route}              histogram
//   deepscaler_model_load_failures_total{app}                   counter
//   deepscaler_model_loaded{app}                                gauge
//   deepscaler_api_metric_value_age_seconds{metric}             histogram  age of each value served
//   deepscaler_api_authorization_disabled                       gauge  1 with --insecure-allow-all
//   deepscaler_source_errors_total{app}                         counter
//   deepscaler_forecast_failures_total{app}                     counter
//   deepscaler_scorecard_underprovisioned_minutes{namespace,app,service,scenario}  gauge  minutes demand > capacity (actual | planned)
//   deepscaler_scorecard_replica_hours{namespace,app,service,scenario}             gauge  replica-hours (actual | planned)
//   deepscaler_preview{namespace,app}                           gauge  1 for an application in preview mode
// All of these exist (src/loop/telemetry.ts, src/serving/api-metrics.ts, src/explain/metrics.ts); test/unit/manifests
// fails if the dashboard or the rules name one that the code does not register.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** CPU in cores: Grafana has no such unit, and `short` would print 1500m as "1.50" with no unit. */
export const CPU_UNIT = 'suffix: cores';

/**
 * Where each alert's runbook_url points: a section of docs/runbook.md per alert (anchor = the
 * alert name in lower case). Relative to this repository by default; generate with
 * `--runbook-base <url of docs/runbook.md in your clone>` to get absolute links.
 */
const baseFlag = process.argv.indexOf('--runbook-base');
export const RUNBOOK_BASE = baseFlag > 0 ? process.argv[baseFlag + 1] : 'docs/runbook.md';
const runbook = (alert) => `${RUNBOOK_BASE}#${alert.toLowerCase()}`;

/** The APIService the adapter serves (manifests/apiservice): kube-apiserver reports its availability. */
export const APISERVICE = 'v1beta1.external.metrics.k8s.io';

export const M = {
  predicted: 'deepscaler_predicted_demand',
  actual: 'deepscaler_actual_demand',
  desired: 'deepscaler_desired_replicas',
  current: 'deepscaler_current_replicas',
  error: 'deepscaler_forecast_error_ratio',
  underprovision: 'deepscaler_underprovision_ratio',
  correction: 'deepscaler_calibration_correction',
  risk: 'deepscaler_risk_ratio',
  age: 'deepscaler_prediction_age_seconds',
  stale: 'deepscaler_prediction_stale',
  fallback: 'deepscaler_fallback_active',
  requests: 'deepscaler_api_requests_total',
  duration: 'deepscaler_api_request_duration_seconds',
  modelLoadFailures: 'deepscaler_model_load_failures_total',
  modelLoaded: 'deepscaler_model_loaded',
  valueAge: 'deepscaler_api_metric_value_age_seconds',
  authDisabled: 'deepscaler_api_authorization_disabled',
  sourceErrors: 'deepscaler_source_errors_total',
  forecastFailures: 'deepscaler_forecast_failures_total',
  underProvisioned: 'deepscaler_scorecard_underprovisioned_minutes',
  replicaHours: 'deepscaler_scorecard_replica_hours',
  preview: 'deepscaler_preview',
};

const here = dirname(fileURLToPath(import.meta.url));
const SEL = 'namespace=~"$namespace", service=~"$service"';
const NS = 'namespace=~"$namespace"';

let nextId = 1;
function panel(title, description, targets, gridPos, fieldConfig = {}) {
  return {
    id: nextId++,
    type: 'timeseries',
    title,
    description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos,
    fieldConfig: { defaults: { ...fieldConfig }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: { type: 'prometheus', uid: '${datasource}' },
      expr,
      legendFormat,
    })),
  };
}

function row(title, y) {
  return { id: nextId++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

function variable(name, label, query) {
  return {
    name,
    label,
    type: 'query',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    query: { query, refId: `${name}-var` },
    definition: query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  };
}

export function dashboard() {
  nextId = 1;
  const w = 12;
  const h = 8;
  // Rows below the calibration row move down by its height.
  const c = 1 + h;
  const panels = [
    row('Demand and replicas', 0),
    panel(
      'Predicted vs actual CPU demand',
      'Peak forecast CPU (cores) inside the look-ahead window beside the newest observed CPU, per service.',
      [
        [`max by (namespace, service) (${M.predicted}{${SEL}, feature="cpu_cores"})`, 'predicted {{namespace}}/{{service}}'],
        [`max by (namespace, service) (${M.actual}{${SEL}, feature="cpu_cores"})`, 'actual {{namespace}}/{{service}}'],
      ],
      { h, w, x: 0, y: 1 },
      { unit: CPU_UNIT },
    ),
    panel(
      'Predicted vs actual request rate',
      'Peak forecast requests/s inside the look-ahead window beside the newest observed rate, per service.',
      [
        [`max by (namespace, service) (${M.predicted}{${SEL}, feature="req"})`, 'predicted {{namespace}}/{{service}}'],
        [`max by (namespace, service) (${M.actual}{${SEL}, feature="req"})`, 'actual {{namespace}}/{{service}}'],
      ],
      { h, w, x: w, y: 1 },
      { unit: 'reqps' },
    ),
    panel(
      'Desired vs current replicas',
      'What the adapter serves to the HPA beside what the Deployment runs now. A gap that persists means the HPA is bounded (min/max, behavior) or failing.',
      [
        [`max by (namespace, service) (${M.desired}{${SEL}})`, 'desired {{namespace}}/{{service}}'],
        [`max by (namespace, service) (${M.current}{${SEL}})`, 'current {{namespace}}/{{service}}'],
      ],
      { h, w, x: 0, y: 1 + h },
      { unit: 'short', decimals: 0 },
    ),
    panel(
      'Forecast error',
      'Recent mean absolute percentage error of the forecasts per service (0.1 = 10 %); a diagnostic: the plan is sized by the calibration below.',
      [[`max by (namespace, service) (${M.error}{${SEL}})`, '{{namespace}}/{{service}}']],
      { h, w, x: w, y: 1 + h },
      { unit: 'percentunit' },
    ),
    row('Calibration: risk vs realized under-provision', 1 + 2 * h),
    panel(
      'Under-provision vs risk',
      'Share of recent look-aheads whose peak demand exceeded the calibrated plan (realized), per service and feature, beside the configured risk (target). Calibrated when they agree.',
      [
        [`max by (namespace, service, feature) (${M.underprovision}{${SEL}})`, 'realized {{namespace}}/{{service}} {{feature}}'],
        [`max by (namespace, service) (${M.risk}{${SEL}})`, 'risk {{namespace}}/{{service}}'],
      ],
      { h, w, x: 0, y: 2 + 2 * h },
      { unit: 'percentunit', min: 0 },
    ),
    panel(
      'Calibration correction',
      'Factor the forecast peak is multiplied by to reach its (1 − risk) quantile, per service and feature (1.2 = +20 %; below 1 when the forecast runs high).',
      [[`max by (namespace, service, feature) (${M.correction}{${SEL}})`, '{{namespace}}/{{service}} {{feature}}']],
      { h, w, x: w, y: 2 + 2 * h },
      { unit: 'short' },
    ),
    row('Freshness and fallback', 1 + 2 * h + c),
    panel(
      'Prediction age',
      'Seconds since the data behind the served values; past the max age the values are stale and the fallback applies.',
      [[`max by (namespace, app) (${M.age}{${NS}})`, '{{namespace}}/{{app}}']],
      { h, w, x: 0, y: 2 + 2 * h + c },
      { unit: 's' },
    ),
    panel(
      'Stale and fallback state',
      '1 while predictions are stale / while a fallback policy shapes the values.',
      [
        [`max by (namespace, app) (${M.stale}{${NS}})`, 'stale {{namespace}}/{{app}}'],
        [`max by (namespace, app, policy) (${M.fallback}{${NS}})`, 'fallback {{policy}} {{namespace}}/{{app}}'],
        [`max by (app) (${M.modelLoaded})`, 'model loaded {{app}}'],
      ],
      { h, w, x: w, y: 2 + 2 * h + c },
      { unit: 'short', min: 0, max: 1 },
    ),
    row('External metrics API', 2 + 3 * h + c),
    panel(
      'API request rate',
      'Requests per second by route and status code (the HPA controller, the aggregator probe, kubectl).',
      [[`sum by (route, code) (rate(${M.requests}[$__rate_interval]))`, '{{route}} {{code}}']],
      { h, w: 8, x: 0, y: 3 + 3 * h + c },
      { unit: 'reqps' },
    ),
    panel(
      'API latency',
      "p50 and p99 request latency by route, from the adapter's histogram.",
      [
        [`histogram_quantile(0.99, sum by (le, route) (rate(${M.duration}_bucket[$__rate_interval])))`, 'p99 {{route}}'],
        [`histogram_quantile(0.5, sum by (le, route) (rate(${M.duration}_bucket[$__rate_interval])))`, 'p50 {{route}}'],
      ],
      { h, w: 8, x: 8, y: 3 + 3 * h + c },
      { unit: 's' },
    ),
    panel(
      'API errors',
      'Share of requests answered 5xx, and 4xx per second (403 = missing RBAC, 400 = bad selector, 404 = unknown metric).',
      [
        [`(sum(rate(${M.requests}{code=~"5.."}[$__rate_interval])) or vector(0)) / sum(rate(${M.requests}[$__rate_interval]))`, '5xx ratio'],
        [`sum by (code) (rate(${M.requests}{code=~"4.."}[$__rate_interval])) or vector(0)`, '{{code}}/s'],
      ],
      { h, w: 8, x: 16, y: 3 + 3 * h + c },
      { unit: 'short' },
    ),
    panel(
      'Age of served values',
      'p99 age of the values the API served (now minus the value timestamp): what the HPA acted on.',
      [[`histogram_quantile(0.99, sum by (le, metric) (rate(${M.valueAge}_bucket[$__rate_interval])))`, 'p99 {{metric}}']],
      { h, w: 8, x: 0, y: 3 + 4 * h + c },
      { unit: 's' },
    ),
    panel(
      'Pipeline failures',
      'Failed model loads, source reads and forecasts in the window (the adapter keeps the previous model, or serves the fallback / reactive estimate).',
      [
        [`max by (app) (increase(${M.modelLoadFailures}[$__rate_interval])) or vector(0)`, 'model load failures {{app}}'],
        [`max by (app) (increase(${M.sourceErrors}[$__rate_interval])) or vector(0)`, 'source errors {{app}}'],
        [`max by (app) (increase(${M.forecastFailures}[$__rate_interval])) or vector(0)`, 'forecast failures {{app}}'],
      ],
      { h, w: 8, x: 8, y: 3 + 4 * h + c },
      { unit: 'short', decimals: 0 },
    ),
    panel(
      'Authorization disabled',
      '1 when the adapter runs with --insecure-allow-all (development only): every request is authorized.',
      [[`max(${M.authDisabled})`, 'allow-all']],
      { h, w: 8, x: 16, y: 3 + 4 * h + c },
      { unit: 'short', min: 0, max: 1 },
    ),
    row('Preview scorecard: what ran vs what DeepScaler planned', 3 + 5 * h + c),
    panel(
      'Minutes under-provisioned',
      "Since the adapter started, minutes in which demand exceeded replicas × capacity per pod: with the replicas that ran (actual) and with DeepScaler's plan, judged after pod start-up + HPA sync (planned). Preview mode (1) computes the plan without serving it.",
      [
        [`max by (namespace, service, scenario) (${M.underProvisioned}{${SEL}})`, '{{scenario}} {{namespace}}/{{service}}'],
        [`max by (namespace, app) (${M.preview}{${NS}})`, 'preview {{namespace}}/{{app}}'],
      ],
      { h, w, x: 0, y: 4 + 5 * h + c },
      { unit: 'm' },
    ),
    panel(
      'Replica-hours used vs planned',
      "Since the adapter started, over the same scored steps: replica-hours that ran (actual) and that DeepScaler's plan would have run (planned). Fewer planned hours at fewer under-provisioned minutes is the case for switching preview off.",
      [[`max by (namespace, service, scenario) (${M.replicaHours}{${SEL}})`, '{{scenario}} {{namespace}}/{{service}}']],
      { h, w, x: w, y: 4 + 5 * h + c },
      { unit: 'short' },
    ),
  ];
  return {
    uid: 'deepscaler-adapter',
    title: 'DeepScaler adapter',
    description:
      'Predicted vs actual demand, desired vs current replicas, forecast error, the calibration (risk vs realized under-provision), freshness and fallback, the external metrics API, and the preview scorecard of the DeepScaler adapter.',
    tags: ['deepscaler', 'autoscaling', 'kubernetes'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-3h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        variable('namespace', 'Namespace', `label_values(${M.desired}, namespace)`),
        variable('service', 'Service', `label_values(${M.desired}{namespace=~"$namespace"}, service)`),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

export function alertGroups() {
  return [
    {
      name: 'deepscaler-adapter',
      rules: [
        {
          alert: 'DeepScalerPredictionsStale',
          expr: `max by (namespace, app) (${M.stale}) == 1`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'DeepScaler predictions for {{ $labels.namespace }}/{{ $labels.app }} are stale',
            description:
              'The data behind the served replica counts is older than the configured max age; the fallback policy applies. Check the metrics source (Prometheus) and the adapter logs.',
            runbook_url: runbook('DeepScalerPredictionsStale'),
          },
        },
        {
          alert: 'DeepScalerFallbackActive',
          expr: `max by (namespace, app, policy) (${M.fallback}) == 1`,
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'DeepScaler has served {{ $labels.namespace }}/{{ $labels.app }} from the {{ $labels.policy }} fallback for 15 minutes',
            description: 'Replica counts are not coming from the forecast. Check that a model is loaded and the source delivers data.',
            runbook_url: runbook('DeepScalerFallbackActive'),
          },
        },
        {
          alert: 'DeepScalerAPIErrors',
          expr: `(sum(rate(${M.requests}{code=~"5.."}[5m])) or vector(0)) / sum(rate(${M.requests}[5m])) > 0.05`,
          for: '10m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'More than 5 % of external metrics API requests fail',
            description:
              'HPAs using DeepScaler metrics get errors (ScalingActive=False, FailedGetExternalMetric) and will not scale down. See `kubectl describe hpa` and the adapter logs.',
            runbook_url: runbook('DeepScalerAPIErrors'),
          },
        },
        {
          alert: 'DeepScalerModelLoadFailures',
          expr: `increase(${M.modelLoadFailures}[15m]) > 0`,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'DeepScaler failed to load the model for {{ $labels.app }}',
            description: 'The adapter keeps the previous model or the cold-start fallback. Check the model file and the adapter logs.',
            runbook_url: runbook('DeepScalerModelLoadFailures'),
          },
        },
        {
          alert: 'DeepScalerSourceErrors',
          expr: `max by (app) (increase(${M.sourceErrors}[10m])) > 3`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'DeepScaler cannot read metrics for {{ $labels.app }}',
            description:
              'Steps failed to read the metrics source; predictions will go stale. Check the Prometheus URL in the configuration and the adapter logs.',
            runbook_url: runbook('DeepScalerSourceErrors'),
          },
        },
        {
          alert: 'DeepScalerAuthorizationDisabled',
          expr: `max(${M.authDisabled}) == 1`,
          labels: { severity: 'critical' },
          annotations: {
            summary: 'A DeepScaler adapter runs with --insecure-allow-all',
            description: 'Authorization is off: anyone who reaches the adapter may read every metric. Remove the flag; it is for local development only.',
            runbook_url: runbook('DeepScalerAuthorizationDisabled'),
          },
        },
        {
          // kube-apiserver's own gauge (kube-aggregator), scraped wherever Prometheus scrapes the
          // API server (kube-prometheus does): the HPA path, whatever the adapter itself reports.
          alert: 'DeepScalerAPIServiceUnavailable',
          expr: `max by (name) (aggregator_unavailable_apiservice{name="${APISERVICE}"}) == 1`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: `APIService ${APISERVICE} is unavailable`,
            description:
              'kube-apiserver cannot reach the external metrics API: every HPA on an External metric fails (FailedGetExternalMetric) and holds its replicas. Check `kubectl get apiservice` (its message says why), the adapter pods and their caBundle.',
            runbook_url: runbook('DeepScalerAPIServiceUnavailable'),
          },
        },
        {
          alert: 'DeepScalerAdapterDown',
          expr: 'absent(up{job="deepscaler-adapter"} == 1)',
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'No DeepScaler adapter is being scraped',
            description:
              'Prometheus has no healthy deepscaler-adapter target: either the adapter is down (HPAs lose their metric) or the scrape configuration is wrong.',
            runbook_url: runbook('DeepScalerAdapterDown'),
          },
        },
      ],
    },
  ];
}

const HEADER = '# Generated by manifests/monitoring/generate.mjs: edit the generator, not this file.\n';

export function outputs() {
  const dash = JSON.stringify(dashboard(), null, 2) + '\n';
  const groups = alertGroups();
  const rulesFile = HEADER + stringify({ groups }, { lineWidth: 0 });
  const labels = { 'app.kubernetes.io/name': 'deepscaler-adapter' };
  return {
    [join(here, 'grafana-dashboard.json')]: dash,
    [join(here, 'alert-rules.yaml')]: rulesFile,
    // Grafana's dashboard sidecar (kube-prometheus-stack, grafana helm chart) picks up ConfigMaps
    // labelled grafana_dashboard=1.
    [join(here, 'grafana-dashboard-configmap.yaml')]:
      HEADER +
      stringify(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'deepscaler-grafana-dashboard', namespace: 'deepscaler', labels: { ...labels, grafana_dashboard: '1' } },
          data: { 'deepscaler-adapter.json': dash },
        },
        { lineWidth: 0 },
      ),
    // For a plain Prometheus: mount this ConfigMap and list the file under rule_files.
    [join(here, 'alert-rules-configmap.yaml')]:
      HEADER +
      stringify(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'deepscaler-alert-rules', namespace: 'deepscaler', labels },
          data: { 'deepscaler-alert-rules.yaml': stringify({ groups }, { lineWidth: 0 }) },
        },
        { lineWidth: 0 },
      ),
    [join(here, '..', 'overlays', 'prometheus-operator', 'prometheusrule.yaml')]:
      HEADER +
      stringify(
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: 'deepscaler-adapter', namespace: 'deepscaler', labels },
          spec: { groups },
        },
        { lineWidth: 0 },
      ),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, text] of Object.entries(outputs())) {
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      /* new file */
    }
    if (old === text) continue;
    if (check) {
      process.stderr.write(`${path} is out of date: run node manifests/monitoring/generate.mjs\n`);
      stale++;
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}

/**
 * The external.metrics.k8s.io/v1beta1 API as plain functions: a request target in, an answer
 * (code, body) out. No sockets here, so the router is cheap on the hot path and easy to fuzz.
 */
import { ApiError, EXPLAIN_RESOURCE, type ExplanationProvider, type ExternalMetricValue, type MetricsProvider } from './index.js';
import { milliToQuantity } from '../core/index.js';
import { parseLabelSelector } from './selector.js';
import { statusBody } from './status.js';

export const GROUP = 'external.metrics.k8s.io';
export const VERSION = 'v1beta1';
export const GROUP_VERSION = `${GROUP}/${VERSION}`;

export type RouteName = 'discovery' | 'metric' | 'explain' | 'health' | 'metrics' | 'other';

/** What a request asks for, known before authentication (authorization needs it). */
export type Target =
  | { readonly route: 'metric'; readonly path: string; readonly namespace: string; readonly metric: string; readonly query: string }
  /** `…/namespaces/NS/deepscaler-explain[/SERVICE]`: reachable through the aggregator, authorized as that resource. */
  | { readonly route: 'explain'; readonly path: string; readonly namespace: string; readonly service?: string; readonly query: string }
  | { readonly route: Exclude<RouteName, 'metric' | 'explain'>; readonly path: string; readonly query: string };

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const DISCOVERY_PATHS = new Set(['/apis', `/apis/${GROUP}`, `/apis/${GROUP_VERSION}`]);
const METRIC_PREFIX = `/apis/${GROUP_VERSION}/namespaces/`;

export function parseTarget(url: string): Target {
  const q = url.indexOf('?');
  // Kubernetes ignores one trailing slash on these paths; so do we.
  let path = q < 0 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const query = q < 0 ? '' : url.slice(q + 1);
  if (path.startsWith(METRIC_PREFIX)) {
    const rest = path.slice(METRIC_PREFIX.length).split('/');
    if (rest[1] === EXPLAIN_RESOURCE && (rest.length === 2 || rest.length === 3)) {
      return { route: 'explain', path, namespace: rest[0]!, ...(rest.length === 3 ? { service: rest[2]! } : {}), query };
    }
    if (rest.length === 2) return { route: 'metric', path, namespace: rest[0]!, metric: rest[1]!, query };
    return { route: 'other', path, query };
  }
  if (DISCOVERY_PATHS.has(path)) return { route: 'discovery', path, query };
  if (HEALTH_PATHS.has(path)) return { route: 'health', path, query };
  if (path === '/metrics') return { route: 'metrics', path, query };
  return { route: 'other', path, query };
}

export interface ApiAnswer {
  readonly code: number;
  readonly body: string;
  readonly contentType: 'application/json' | 'text/plain; charset=utf-8';
  readonly retryAfterSeconds?: number;
  /** The values served (metric route, 200 only): telemetry observes their age. */
  readonly values?: readonly ExternalMetricValue[];
}

export function errorAnswer(error: ApiError): ApiAnswer {
  return {
    code: error.code,
    body: statusBody(error.code, error.reason, error.message),
    contentType: 'application/json',
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
  };
}

const json = (value: unknown): ApiAnswer => ({ code: 200, body: JSON.stringify(value), contentType: 'application/json' });

/**
 * Media types we answer with JSON. Parameters g/v/as ask for aggregated discovery
 * (apidiscovery.k8s.io), which we do not serve: the apiserver then falls back to legacy discovery.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return true;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    if (params.some((p) => p.startsWith('as=') || p.startsWith('g=') || p.startsWith('v='))) continue;
    if (type === 'application/json' || type === '*/*' || type === 'application/*' || type === 'application/vnd.kubernetes.protobuf') return true;
  }
  return false;
}

const VERSION_REF = { groupVersion: GROUP_VERSION, version: VERSION };
const API_GROUP = { name: GROUP, versions: [VERSION_REF], preferredVersion: VERSION_REF };
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

function discovery(path: string, provider: MetricsProvider): ApiAnswer {
  if (path === '/apis') return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP] });
  if (path === `/apis/${GROUP}`) return json({ kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP });
  const metrics = provider.listMetrics();
  if (metrics.length === 0) {
    // An empty list makes kubectl and helm warn on every call cluster-wide: say "not ready" instead.
    throw new ApiError(503, 'ServiceUnavailable', 'no external metrics are available yet; the adapter is still starting');
  }
  return json({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GROUP_VERSION,
    resources: metrics.map((name) => ({ name, singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] })),
  });
}

let lastSecond = Number.NaN;
let lastStamp = '';

/** RFC 3339 at second precision, as metav1.Time marshals; values of one step share a second, so reuse it. */
function rfc3339(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastSecond) {
    lastStamp = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastStamp;
}

function labelSelectorParam(query: string): string | undefined {
  if (query === '') return undefined;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    throw new ApiError(400, 'BadRequest', 'the query string is not valid URL encoding');
  }
  return params.get('labelSelector') ?? undefined;
}

function metricValues(target: Extract<Target, { route: 'metric' }>, provider: MetricsProvider): ApiAnswer {
  const { namespace, metric } = target;
  if (!DNS_LABEL.test(namespace)) {
    throw new ApiError(404, 'NotFound', `namespace "${namespace}" is not a valid namespace name`);
  }
  if (metric === '.' || metric === '..' || metric === '' || metric.includes('%')) {
    throw new ApiError(404, 'NotFound', `"${metric}" is not a valid metric name`);
  }
  const selector = labelSelectorParam(target.query);
  const values = provider.getValues(namespace, metric, parseLabelSelector(selector));
  if (values.length === 0) {
    // The HPA fails on an empty list anyway; a 404 at least says why.
    const which = selector ? ` matching labelSelector "${selector}"` : '';
    throw new ApiError(404, 'NotFound', `no values of external metric "${metric}" in namespace "${namespace}"${which}`);
  }
  const items = values.map((v) => ({
    metricName: v.metricName,
    metricLabels: v.metricLabels,
    timestamp: rfc3339(v.timestamp),
    ...(v.windowSeconds === undefined ? {} : { window: v.windowSeconds }),
    value: milliToQuantity(v.milliValue),
  }));
  return { ...json({ kind: 'ExternalMetricValueList', apiVersion: GROUP_VERSION, metadata: {}, items }), values };
}

function explanation(target: Extract<Target, { route: 'explain' }>, explainer: ExplanationProvider | undefined): ApiAnswer {
  if (explainer === undefined) throw new ApiError(404, 'NotFound', `the server could not find the requested resource ${target.path}`);
  if (!DNS_LABEL.test(target.namespace)) throw new ApiError(404, 'NotFound', `namespace "${target.namespace}" is not a valid namespace name`);
  if (target.service !== undefined && !DNS_LABEL.test(target.service)) throw new ApiError(404, 'NotFound', `"${target.service}" is not a valid service name`);
  return json(explainer.explain(target.namespace, target.service));
}

const OK: ApiAnswer = { code: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' };

/** Methods every path of this read-only API answers (HEAD is GET without the body). */
export const READ_METHODS = 'GET, HEAD';
export const isRead = (method: string): boolean => method === 'GET' || method === 'HEAD';

/** 405 for a path that exists (with Allow: GET, HEAD), 404 for one that does not. */
export function methodNotAllowed(target: Target, method: string): ApiError {
  if (target.route === 'other') return new ApiError(404, 'NotFound', `the server could not find the requested resource ${target.path}`);
  return new ApiError(405, 'MethodNotAllowed', `${method} ${target.path} is not allowed: this API is read-only (${READ_METHODS})`);
}

/**
 * The answer to an authenticated, authorized GET. Provider failures that are not ApiErrors become
 * a 500 without backend details; `onInternalError` gets the original for the log.
 */
export function answer(
  target: Target,
  method: string,
  accept: string | undefined,
  provider: MetricsProvider,
  onInternalError: (err: unknown) => void,
  explainer?: ExplanationProvider,
): ApiAnswer {
  try {
    if (!isRead(method)) throw methodNotAllowed(target, method);
    if (target.route === 'health') return OK;
    if (target.route === 'other' || target.route === 'metrics')
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource ${target.path}`);
    if (!acceptsJson(accept)) {
      throw new ApiError(
        406,
        'NotAcceptable',
        `only application/json is served here (asked for "${accept}"); aggregated discovery is not supported, use legacy discovery`,
      );
    }
    if (target.route === 'explain') return explanation(target, explainer);
    return target.route === 'metric' ? metricValues(target, provider) : discovery(target.path, provider);
  } catch (err) {
    if (err instanceof ApiError) return errorAnswer(err);
    onInternalError(err);
    return errorAnswer(new ApiError(500, 'InternalError', 'internal error while reading metric values; see the adapter log'));
  }
}

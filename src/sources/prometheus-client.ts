/**
 * A small Prometheus HTTP API client: range queries and label values, each request bounded by a
 * timeout and retried a bounded number of times with exponential backoff. Only failures that may
 * pass are retried (no connection, timeouts, 5xx, 429, a garbled answer); Prometheus rejecting the
 * query (4xx, `bad_data`) fails at once. Every error names the query and the reason.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { SourceError, type SourceFailureKind } from '../core/index.js';

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://prometheus.monitoring:9090 (a path prefix is kept). */
  readonly url: string;
  /** Per request, including reading the answer. Default 30 s. */
  readonly timeoutMs?: number;
  /** Extra attempts after the first. Default 3. */
  readonly retries?: number;
  /** Wait before the first retry; doubles each retry (plus up to 20 % jitter). Default 500 ms. */
  readonly backoffMs?: number;
  /** Extra request headers, e.g. Authorization for a hosted Prometheus. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Where to count requests (`deepscaler_prometheus_requests_total{outcome}`) and their latency
   * (`deepscaler_prometheus_request_duration_seconds`), e.g. the shared telemetry registry. None by default.
   */
  readonly registry?: Registry;
}

type Outcome = 'ok' | 'retryable' | 'rejected';

interface ClientMetrics {
  readonly requests: Counter<'outcome'>;
  readonly duration: Histogram;
}

function clientMetrics(registry: Registry): ClientMetrics {
  const registers = [registry];
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  return {
    requests:
      existing<Counter<'outcome'>>('deepscaler_prometheus_requests_total') ??
      new Counter({
        name: 'deepscaler_prometheus_requests_total',
        help: 'HTTP requests to Prometheus by outcome: ok, retryable (timeout, no connection, 5xx, garbled answer) or rejected (4xx).',
        labelNames: ['outcome'],
        registers,
      }),
    duration:
      existing<Histogram>('deepscaler_prometheus_request_duration_seconds') ??
      new Histogram({
        name: 'deepscaler_prometheus_request_duration_seconds',
        help: 'Time per HTTP request to Prometheus, answer read included.',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
  };
}

/** Prometheus refuses more points per series in one range query; stay below it. */
export const MAX_POINTS_PER_QUERY = 10_000;

export class PrometheusQueryError extends SourceError {
  constructor(
    readonly query: string,
    readonly reason: string,
    readonly attempts: number,
    kind: SourceFailureKind,
  ) {
    super(`prometheus query failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${reason}; query: ${excerpt(query, 400)}`, kind);
    this.name = 'PrometheusQueryError';
  }
}

export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** [epoch ms, value] pairs; non-finite values (NaN, ±Inf) are NaN. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${flat.length} chars)`;
}

/** A failure worth another attempt, or not. */
class Attempt extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly kind: SourceFailureKind,
  ) {
    super(message);
  }
}

function networkFailure(err: unknown, url: string, timeoutMs: number): Attempt {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new Attempt(`no answer from ${url} within ${timeoutMs} ms`, true, 'timeout');
  const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new Attempt(`cannot reach ${url}: ${cause}`, true, 'unreachable');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class PrometheusClient {
  /** HTTP requests sent so far (attempts included), for benchmarks and the adapter's own metrics. */
  requests = 0;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly metrics: ClientMetrics | null;

  constructor(private readonly options: PrometheusClientOptions) {
    this.metrics = options.registry === undefined ? null : clientMetrics(options.registry);
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
  }

  /**
   * `query` evaluated every `stepSeconds` from `startMs` to `endMs` (both on the step grid),
   * split into several requests when longer than MAX_POINTS_PER_QUERY steps.
   */
  async queryRange(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<RangeSeries[]> {
    const stepMs = stepSeconds * 1000;
    const merged = new Map<string, { labels: Readonly<Record<string, string>>; points: Array<readonly [number, number]> }>();
    for (let from = startMs; from <= endMs; from += MAX_POINTS_PER_QUERY * stepMs) {
      const to = Math.min(endMs, from + (MAX_POINTS_PER_QUERY - 1) * stepMs);
      const body = new URLSearchParams({ query, start: String(from / 1000), end: String(to / 1000), step: String(stepSeconds) });
      for (const series of await this.call('/api/v1/query_range', body, 'POST', query, parseMatrix)) {
        const key = JSON.stringify(Object.entries(series.labels).sort());
        const into = merged.get(key) ?? { labels: series.labels, points: [] };
        into.points.push(...series.points);
        merged.set(key, into);
      }
    }
    return [...merged.values()];
  }

  /** Values of `label` on series matching `match` between the two times (e.g. workloads in a namespace). */
  async labelValues(label: string, match: string, startMs: number, endMs: number): Promise<string[]> {
    const body = new URLSearchParams({ 'match[]': match, start: String(startMs / 1000), end: String(endMs / 1000) });
    // This endpoint takes GET only (Prometheus 2.x answers POST with 405).
    return this.call(`/api/v1/label/${encodeURIComponent(label)}/values`, body, 'GET', `label values of ${label} for ${match}`, (data) => {
      if (!Array.isArray(data) || !data.every((v) => typeof v === 'string'))
        throw new Attempt('the label values answer is not a list of strings', false, 'bad-answer');
      return data;
    });
  }

  /**
   * One API call with timeout and retries (queries are POSTed so long ones fit); `parse` reads the
   * `data` of a success answer.
   */
  private async call<T>(path: string, params: URLSearchParams, method: 'GET' | 'POST', query: string, parse: (data: unknown) => T): Promise<T> {
    const url = `${this.base}${path}`;
    let lastError = '';
    let lastKind: SourceFailureKind = 'error';
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      if (attempt > 1) {
        const wait = this.backoffMs * 2 ** (attempt - 2);
        await sleep(wait + Math.random() * 0.2 * wait);
      }
      const stopTimer = this.metrics?.duration.startTimer();
      try {
        const result = parse(await this.once(url, params, method));
        this.count('ok', stopTimer);
        return result;
      } catch (err) {
        if (!(err instanceof Attempt)) throw err;
        this.count(err.retryable ? 'retryable' : 'rejected', stopTimer);
        lastError = err.message;
        lastKind = err.kind;
        if (!err.retryable) throw new PrometheusQueryError(query, err.message, attempt, err.kind);
      }
    }
    throw new PrometheusQueryError(query, lastError, this.retries + 1, lastKind);
  }

  private count(outcome: Outcome, stopTimer: (() => number) | undefined): void {
    stopTimer?.();
    this.metrics?.requests.inc({ outcome });
  }

  private async once(url: string, params: URLSearchParams, method: 'GET' | 'POST'): Promise<unknown> {
    this.requests++;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let statusText: string;
    let text: string;
    try {
      const headers = { accept: 'application/json', ...this.options.headers };
      const response =
        method === 'GET'
          ? await fetch(`${url}?${params.toString()}`, { headers, signal })
          : await fetch(url, { method, body: params, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, signal });
      status = response.status;
      statusText = response.statusText;
      text = await response.text();
    } catch (err) {
      throw networkFailure(err, url, this.timeoutMs);
    }
    let answer: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown } | undefined;
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      answer = undefined;
    }
    const retryable = status >= 500 || status === 429;
    if (answer === undefined || typeof answer !== 'object' || answer === null) {
      const what = status >= 400 ? `HTTP ${status} ${statusText}` : `the answer from ${url} is not JSON`;
      throw new Attempt(`${what}: ${excerpt(text, 200) || '(empty body)'}`, retryable || status < 400, status >= 400 ? 'http-error' : 'bad-answer');
    }
    if (answer.status !== 'success') {
      const detail = typeof answer.error === 'string' ? `${String(answer.errorType ?? 'error')}: ${answer.error}` : excerpt(text, 200);
      throw new Attempt(`HTTP ${status} ${statusText}: ${detail}`, retryable, status >= 400 ? 'http-error' : 'bad-answer');
    }
    return answer.data;
  }
}

function parseMatrix(data: unknown): RangeSeries[] {
  const d = data as { resultType?: unknown; result?: unknown } | null;
  if (d === null || typeof d !== 'object' || d.resultType !== 'matrix' || !Array.isArray(d.result)) {
    throw new Attempt(`expected a matrix answer, got ${excerpt(JSON.stringify(data) ?? 'nothing', 200)}`, false, 'bad-answer');
  }
  return d.result.map((item: unknown) => {
    const s = item as { metric?: unknown; values?: unknown };
    if (typeof s.metric !== 'object' || s.metric === null || !Array.isArray(s.values)) {
      throw new Attempt(`a series in the answer has no metric or values: ${excerpt(JSON.stringify(item), 200)}`, false, 'bad-answer');
    }
    const points = s.values.map((pair: unknown): [number, number] => {
      if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
        throw new Attempt(`a sample in the answer is not [time, "value"]: ${excerpt(JSON.stringify(pair), 100)}`, false, 'bad-answer');
      }
      const value = Number(pair[1]);
      return [Math.round(pair[0] * 1000), Number.isFinite(value) ? value : Number.NaN];
    });
    return { labels: s.metric as Record<string, string>, points };
  });
}

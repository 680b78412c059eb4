/**
 * The Prometheus client and `collect` against a fake Prometheus on loopback that misbehaves on
 * purpose: slow, 5xx, malformed JSON, refused connections. Each failure must come quickly (bounded
 * retries), name the query and the reason, and leave no half-written dataset.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusClient, PrometheusQueryError } from '../../../src/sources/prometheus-client.js';
import { PrometheusSource, parsePrometheusSourceConfig } from '../../../src/sources/prometheus.js';
import { runCollect, type CollectOptions } from '../../../src/cli/collect.js';
import { frameValue } from '../../../src/core/frame.js';
import { fakePrometheus, json, matrix, type FakePrometheus } from '../../support/fake-prometheus.js';

/** A matrix answer with one series per deepscaler_service label. */
const perService = (params: URLSearchParams, services: string[], value = '1'): ReturnType<typeof matrix> =>
  matrix(
    params,
    services.map((s) => ({ deepscaler_service: s })),
    value,
  );

const QUICK = { timeoutMs: 300, retries: 2, backoffMs: 20 };
const T = Date.parse('2024-04-06T12:00:00Z');

async function failure(promise: Promise<unknown>): Promise<PrometheusQueryError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(PrometheusQueryError);
  return err as PrometheusQueryError;
}

describe('prometheus client against a misbehaving Prometheus', function () {
  this.timeout(20_000);
  let fake: FakePrometheus | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('gives up on a slow Prometheus after the timeout and bounded retries, naming query and reason', async () => {
    fake = await fakePrometheus(() => undefined); // never answers
    const client = new PrometheusClient({ url: fake.url, ...QUICK });
    const started = Date.now();
    const err = await failure(client.queryRange('up', T, T, 30));
    expect(Date.now() - started).to.be.below(10_000);
    expect(err.message).to.equal(`prometheus query failed after 3 attempts: no answer from ${fake.url}/api/v1/query_range within 300 ms; query: up`);
  });

  it('retries a 5xx and succeeds when Prometheus recovers, counting each attempt by outcome', async () => {
    let calls = 0;
    fake = await fakePrometheus((_req, params, res) =>
      ++calls < 3 ? json(res, 503, { status: 'error', errorType: 'unavailable', error: 'overloaded' }) : json(res, 200, perService(params, ['a'])),
    );
    const registry = new Registry();
    const series = await new PrometheusClient({ url: fake.url, ...QUICK, registry }).queryRange('up', T, T + 60_000, 30);
    expect(series[0]!.points).to.deep.equal([
      [T, 1],
      [T + 30_000, 1],
      [T + 60_000, 1],
    ]);
    expect(calls).to.equal(3);
    const counted = (await registry.getSingleMetric('deepscaler_prometheus_requests_total')!.get()).values.map((v) => [v.labels['outcome'], v.value]);
    expect(counted).to.have.deep.members([
      ['retryable', 2],
      ['ok', 1],
    ]);
  });

  it('reports a persistent 5xx with status and body after the last attempt', async () => {
    fake = await fakePrometheus((_req, _params, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream connect error');
    });
    const err = await failure(new PrometheusClient({ url: fake.url, ...QUICK }).queryRange('sum(rate(x[1m]))', T, T, 30));
    expect(err.message).to.equal('prometheus query failed after 3 attempts: HTTP 502 Bad Gateway: upstream connect error; query: sum(rate(x[1m]))');
  });

  it('does not retry a query Prometheus rejects (4xx bad_data) and passes its reason on', async () => {
    fake = await fakePrometheus((_req, _params, res) =>
      json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' }),
    );
    const err = await failure(new PrometheusClient({ url: fake.url, ...QUICK }).queryRange('sum(', T, T, 30));
    expect(err.message).to.equal('prometheus query failed: HTTP 400 Bad Request: bad_data: 1:5: parse error: unexpected end of input; query: sum(');
    expect(fake.requests).to.have.length(1);
  });

  it('reports malformed JSON with an excerpt of what came back', async () => {
    fake = await fakePrometheus((_req, _params, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"success","data":{"resu');
    });
    const err = await failure(new PrometheusClient({ url: fake.url, ...QUICK, retries: 0 }).queryRange('up', T, T, 30));
    expect(err.message).to.equal(
      `prometheus query failed: the answer from ${fake.url}/api/v1/query_range is not JSON: {"status":"success","data":{"resu; query: up`,
    );
  });

  it('reports an answer of the wrong shape', async () => {
    fake = await fakePrometheus((_req, _params, res) => json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } }));
    const err = await failure(new PrometheusClient({ url: fake.url, ...QUICK }).queryRange('up', T, T, 30));
    expect(err.message).to.equal('prometheus query failed: expected a matrix answer, got {"resultType":"vector","result":[]}; query: up');
  });

  it('reports a refused connection with the address, quickly', async () => {
    fake = await fakePrometheus(() => undefined);
    const url = fake.url;
    await fake.close();
    fake = undefined;
    const started = Date.now();
    const err = await failure(new PrometheusClient({ url, ...QUICK }).queryRange('up', T, T, 30));
    expect(Date.now() - started).to.be.below(10_000);
    expect(err.message).to.equal(`prometheus query failed after 3 attempts: cannot reach ${url}/api/v1/query_range: ECONNREFUSED; query: up`);
  });

  it('splits a range longer than Prometheus allows per query into several requests and joins them', async () => {
    fake = await fakePrometheus((_req, params, res) => json(res, 200, perService(params, ['a'])));
    const steps = 25_000;
    const series = await new PrometheusClient({ url: fake.url }).queryRange('up', T, T + (steps - 1) * 30_000, 30);
    expect(fake.requests).to.have.length(3);
    expect(series).to.have.length(1);
    expect(series[0]!.points).to.have.length(steps);
    expect(series[0]!.points.at(-1)![0]).to.equal(T + (steps - 1) * 30_000);
  });

  it('turns NaN and missing samples into gaps in the frames', async () => {
    fake = await fakePrometheus((_req, params, res) => {
      json(res, 200, perService(params, ['a'], 'NaN')); // b is missing altogether
    });
    const source = new PrometheusSource(parsePrometheusSourceConfig({ url: fake.url, namespace: 'shop', services: ['a', 'b'], features: ['req'] }, 'test'));
    const frame = await source.frame(T + 10_000);
    expect(frame.timestamp).to.equal(T);
    expect(frameValue(frame, 'a', 'req')).to.be.NaN;
    expect(frameValue(frame, 'b', 'req')).to.be.NaN;
  });

  it('refuses a template that returns several series per service instead of mixing them', async () => {
    fake = await fakePrometheus((_req, params, res) => {
      // An unaggregated template keeps its own labels: two series for one service.
      json(
        res,
        200,
        matrix(params, [
          { deepscaler_service: 'a', pod: 'a-0' },
          { deepscaler_service: 'a', pod: 'a-1' },
        ]),
      );
    });
    const source = new PrometheusSource(parsePrometheusSourceConfig({ url: fake.url, namespace: 'shop', services: ['a'], features: ['req'] }, 'test'));
    const err = await source.frame(T).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/^the req query returned several series for service a; a template must give one series per service/);
  });
});

describe('collect with a Prometheus that fails midway', function () {
  this.timeout(20_000);
  let fake: FakePrometheus;
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'collect-fault-'));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(work, { recursive: true, force: true });
  });

  const options = (out: string): CollectOptions => ({
    prometheus: fake.url,
    namespace: 'shop',
    services: ['a', 'b'],
    features: ['req', 'cpu_cores', 'pod'],
    startMs: T,
    endMs: T + 3_600_000,
    stepSeconds: 30,
    templates: {},
    graph: { kind: 'none' },
    out,
    format: 'jsonl',
    timeoutMs: 300,
    retries: 1,
    backoffMs: 10,
    progress: false,
  });

  it('keeps an existing dataset folder untouched and leaves no temporary files when a query fails', async () => {
    let calls = 0;
    fake = await fakePrometheus((_req, params, res) =>
      ++calls === 2 ? json(res, 500, { status: 'error', errorType: 'internal', error: 'boom' }) : json(res, 200, perService(params, ['a', 'b'])),
    );
    const out = join(work, 'dataset');
    mkdirSync(out);
    writeFileSync(join(out, 'dataset.jsonl'), 'previous\n');
    const started = Date.now();
    const err = await runCollect({ ...options(out), retries: 0, progress: false }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(Date.now() - started).to.be.below(10_000);
    expect(err?.message).to.match(/^prometheus query failed: HTTP 500 Internal Server Error: internal: boom; query: label_replace\(/);
    expect(readFileSync(join(out, 'dataset.jsonl'), 'utf8')).to.equal('previous\n');
    expect(readdirSync(work)).to.deep.equal(['dataset']);
  });

  it('refuses, before any query, to replace a folder that holds files other than a dataset', async () => {
    fake = await fakePrometheus((_req, params, res) => json(res, 200, perService(params, ['a', 'b'])));
    writeFileSync(join(work, 'notes.txt'), 'mine\n');
    const err = await runCollect(options(work)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.equal(`--out: ${work} holds other files (notes.txt); the folder is replaced whole, so name a new folder or a dataset folder`);
    expect(fake.requests).to.have.length(0);
    expect(readFileSync(join(work, 'notes.txt'), 'utf8')).to.equal('mine\n');
  });

  it('writes the whole folder when every query succeeds', async () => {
    fake = await fakePrometheus((_req, params, res) => json(res, 200, perService(params, ['a', 'b'])));
    const out = join(work, 'dataset');
    const result = await runCollect(options(out));
    expect(readdirSync(out).sort()).to.deep.equal(['dataset.jsonl', 'graph.json']);
    expect(result.dataset.length).to.equal(121);
    expect(result.requests).to.equal(6); // one range query per service × feature
    expect(result.gaps.gaps).to.equal(0);
    expect(existsSync(join(out, 'dataset.jsonl'))).to.equal(true);
  });
});

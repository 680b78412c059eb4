/**
 * `deepscaler collect` against a real Prometheus (Debian's package) holding backfilled synthetic
 * cAdvisor / kube-state-metrics / Istio series: the collected dataset must reproduce the generating
 * values and the call graph must have exactly the generated edges.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPrometheus, type RunningPrometheus } from '../../support/prometheus.js';
import { SHOP, syntheticMetrics, type SyntheticMetrics } from '../../support/synthetic-metrics.js';
import { readDataset } from '../../../src/dataset/files.js';
import { datasetSeries, type Dataset } from '../../../src/dataset/index.js';
import { readCallGraphFile } from '../../../src/graph/file.js';
import { SEED_FEATURES, ALL_FEATURES } from '../../../src/core/frame.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const STEP = 30;
const STEPS = 240; // 2 h
const START = Date.parse('2024-04-06T11:30:00Z');
const END = START + (STEPS - 1) * STEP * 1000;
const GAP = { service: 'cartservice', first: 100, last: 109 };
/** A pod restart: rate() must see through the counter reset. */
const RESET = { service: 'frontend', step: 50 };

/**
 * rate() is exact here (see synthetic-metrics.ts), so the tolerance only covers float32 storage
 * and the floating-point sums inside PromQL.
 */
function expectClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).to.be.at.most(1e-5 * Math.abs(expected) + 1e-9);
}

async function collect(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, 'collect', ...args], { timeout: 60_000 });
}

describe('collect from a real Prometheus', function () {
  this.timeout(180_000);
  let prometheus: RunningPrometheus;
  let synthetic: SyntheticMetrics;
  let work: string;

  before(async () => {
    synthetic = syntheticMetrics(SHOP, { startMs: START, steps: STEPS, stepSeconds: STEP, scrapeSeconds: 15, cpuGap: GAP, cpuReset: RESET });
    prometheus = await startPrometheus({ openMetrics: synthetic.openMetrics });
    work = mkdtempSync(join(tmpdir(), 'collect-it-'));
  });
  after(async () => {
    await prometheus?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('with services discovered from Istio and the Istio call graph', () => {
    let ds: Dataset;
    let stdout: string;

    before(async () => {
      const out = join(work, 'shop');
      ({ stdout } = await collect([
        '--prometheus',
        prometheus.url,
        '--namespace',
        'shop',
        '--start',
        new Date(START).toISOString(),
        '--end',
        new Date(END).toISOString(),
        '--step',
        '30s',
        '--out',
        out,
        '--no-progress',
      ]));
      ds = readDataset(out);
    });

    it('discovers exactly the generated services (not the load generator) and covers the range step by step', () => {
      expect(ds.services).to.deep.equal(SHOP.services.map((s) => s.name).sort());
      expect(ds.features).to.deep.equal([...ALL_FEATURES]);
      expect(ds.startMs).to.equal(START);
      expect(ds.length).to.equal(STEPS);
      expect(ds.stepSeconds).to.equal(STEP);
    });

    it('reproduces every generated value of the seed templates and of cpu_cores / cpu_request, across a counter reset', () => {
      let compared = 0;
      for (const service of ds.services) {
        for (const feature of ALL_FEATURES) {
          const series = datasetSeries(ds, service, feature);
          for (let k = 0; k < STEPS; k++) {
            const inGap = service === GAP.service && k >= GAP.first && k <= GAP.last;
            if (inGap && (feature === 'cpu' || feature === 'cpu_cores')) continue;
            expectClose(series[k]!, synthetic.truth[k]!.services.get(service)![feature], `${service} ${feature} step ${k}`);
            compared++;
          }
        }
      }
      expect(compared).to.equal(6 * 7 * STEPS - 2 * (GAP.last - GAP.first + 1));
    });

    it('keeps missing samples as gaps (NaN), never 0, and reports them', () => {
      const cores = datasetSeries(ds, GAP.service, 'cpu_cores');
      for (let k = GAP.first; k <= GAP.last; k++) expect(cores[k], `step ${k}`).to.be.NaN;
      expect(cores[GAP.first - 1]).to.be.greaterThan(0);
      expect(cores[GAP.last + 1]).to.be.greaterThan(0);
      // irate over [1m]: the first gap step still sees the samples before the gap.
      const cpu = datasetSeries(ds, GAP.service, 'cpu');
      for (let k = GAP.first + 1; k <= GAP.last; k++) expect(cpu[k], `cpu step ${k}`).to.be.NaN;
      expect(stdout).to.include('gaps: 19 of 10080 values (0.19 %) in 2 series');
      expect(stdout).to.include('cartservice cpu_cores: 10/240 steps missing, longest 10 steps (300 s)');
    });

    it('writes a call graph with exactly the generated in-mesh edges, weighted by their mean call rate', () => {
      const stored = readCallGraphFile(join(work, 'shop', 'graph.json'));
      expect(stored.origin).to.equal('istio');
      const generated = SHOP.edges.map((e) => `${e.from}>${e.to}`).sort();
      expect(stored.graph.edges.map((e) => `${e.from}>${e.to}`).sort()).to.deep.equal(generated);
      for (const edge of stored.graph.edges) {
        const mean = synthetic.truth.reduce((sum, t) => sum + t.edges.get(`${edge.from}>${edge.to}`)!, 0) / STEPS;
        expectClose(edge.weight, mean, `${edge.from} → ${edge.to}`);
      }
    });

    it('says how many HTTP requests it took: one range query per series plus discovery and graph', () => {
      expect(stdout).to.include(`prometheus requests: ${ALL_FEATURES.length * SHOP.services.length + 2}`);
    });
  });

  it('writes the seed .log format for named services, with a topology graph, and replaces the folder whole', async () => {
    const out = join(work, 'seed');
    const args = [
      '--prometheus',
      prometheus.url,
      '--namespace',
      'shop',
      '--start',
      new Date(START).toISOString(),
      '--end',
      new Date(START + 9 * STEP * 1000).toISOString(),
      '--services',
      'frontend,emailservice',
      '--features',
      SEED_FEATURES.join(','),
      '--format',
      'seed',
      '--prefix',
      '1',
      '--graph',
      join(process.cwd(), 'data', 'topologies', 'online-boutique.yaml'),
      '--out',
      out,
      '--no-progress',
    ];
    await collect(args);
    await collect(args);
    expect(readdirSync(out).sort()).to.have.length(11).and.to.include('1_frontend_req.log').and.to.include('graph.json');
    const ds = readDataset(out, { prefix: '1' });
    expect(ds.services).to.deep.equal(['emailservice', 'frontend']);
    expectClose(datasetSeries(ds, 'frontend', 'req')[9]!, synthetic.truth[9]!.services.get('frontend')!.req, 'frontend req');
    // Online Boutique's topology has no frontend → emailservice edge: only edges among the named services stay.
    expect(readCallGraphFile(join(out, 'graph.json')).graph.edges).to.deep.equal([]);
  });

  it("fails with the query and Prometheus's reason on a broken template, and writes nothing", async () => {
    const out = join(work, 'broken');
    const templates = join(work, 'templates.yaml');
    (await import('node:fs')).writeFileSync(templates, 'req: "sum(rate(istio_requests_total{destination_workload=\'{svc}\'}[{w}])"\n');
    const failure = await collect([
      '--prometheus',
      prometheus.url,
      '--namespace',
      'shop',
      '--start',
      new Date(START).toISOString(),
      '--end',
      new Date(END).toISOString(),
      '--services',
      'frontend',
      '--templates',
      templates,
      '--out',
      out,
      '--no-progress',
      '--graph',
      'none',
    ]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure).to.not.equal(null);
    expect(failure!.code).to.equal(1);
    expect(failure!.stderr).to.match(
      /prometheus query failed: HTTP 400 Bad Request: bad_data: .*parse error.*; query: label_replace\(sum\(rate\(istio_requests_total\{destination_workload='frontend'\}\[30s\]\)/,
    );
    expect(existsSync(out)).to.equal(false);
    expect(readdirSync(work).filter((n) => n.includes('broken'))).to.deep.equal([]);
  });

  it('exits 1 and writes nothing when the range holds no data at all (a 100 % gap dataset), keeping the previous folder', async () => {
    const out = join(work, 'empty');
    const range = ['--start', new Date(START).toISOString(), '--end', new Date(START + 9 * STEP * 1000).toISOString()];
    await collect([
      '--prometheus',
      prometheus.url,
      '--namespace',
      'shop',
      ...range,
      '--services',
      'frontend',
      '--out',
      out,
      '--no-progress',
      '--graph',
      'none',
    ]);
    const before = readdirSync(out).sort();
    const failure = await collect([
      '--prometheus',
      prometheus.url,
      '--namespace',
      'no-such-namespace',
      ...range,
      '--services',
      'frontend',
      '--out',
      out,
      '--no-progress',
      '--graph',
      'none',
    ]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure, 'collect must fail').to.not.equal(null);
    expect(failure!.code).to.equal(1);
    expect(failure!.stderr).to.match(/no data at all: every one of the \d+ values is missing \(namespace "no-such-namespace"/);
    expect(readdirSync(out).sort()).to.deep.equal(before);
    expect(readDataset(out).services).to.deep.equal(['frontend']);
  });
});

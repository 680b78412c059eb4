/**
 * `deepscaler collect`: reads a time range of every service's metrics from Prometheus (range
 * queries, the seed's templates or the user's) and writes a dataset folder — `dataset.jsonl` (or the
 * seed's `.log` files) and `graph.json` — atomically: a failure leaves nothing half written.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError, expectObject, expectString, ALL_FEATURES, type Feature } from '../core/index.js';
import {
  PrometheusSource,
  expectNamespace,
  expectPrometheusUrl,
  parsePrometheusSourceConfig,
  PrometheusClient,
  checkEdgesTemplate,
  discoverIstioWorkloads,
  istioCallGraph,
} from '../sources/index.js';
import {
  framesToDataset,
  formatJsonlDataset,
  formatSeedFiles,
  DATASET_FILE,
  formatGapSummary,
  gapSummary,
  type GapSummary,
  type Dataset,
} from '../dataset/index.js';
import {
  emptyCallGraph,
  type CallGraph,
  GRAPH_FILE,
  formatCallGraph,
  type GraphOrigin,
  parseCallGraphSpec,
  topologyGraphFor,
  type CallGraphSpec,
} from '../graph/index.js';
import { writeDirAtomic, progressBar, type Progress } from '../util/index.js';

/** The range held no sample at all: nothing is written and the command exits 1. */
export class EmptyDatasetError extends Error {
  override readonly name = 'EmptyDatasetError';
}

export interface CollectOptions {
  readonly prometheus: string;
  readonly namespace: string;
  /** Empty: discovered from Istio series in the range. */
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
  readonly rateWindow?: string;
  readonly templates: Readonly<Partial<Record<Feature, string>>>;
  /** Replaces ISTIO_EDGES_TEMPLATE for `--graph istio`. */
  readonly edgesTemplate?: string;
  readonly graph: CallGraphSpec;
  readonly out: string;
  readonly format: 'jsonl' | 'seed';
  readonly prefix?: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs?: number;
  /** Draws a progress bar on stderr; off for library callers. */
  readonly progress: boolean;
}

export interface CollectResult {
  readonly dataset: Dataset;
  readonly graph: CallGraph;
  readonly gaps: GapSummary;
  /** HTTP requests sent to Prometheus, retries included. */
  readonly requests: number;
}

const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "5m", "24h", "7d" → ms. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (m === null) throw new ConfigError(`${flag}: "${text}" is not a duration (e.g. 30s, 5m, 24h, 7d)`);
  return Number(m[1]) * DURATION_MS[m[2]!]!;
}

/** "now", "now-24h", an ISO-8601 time, or Unix seconds → epoch ms. */
export function parseTime(text: string, flag: string, nowMs: number): number {
  const t = text.trim();
  if (t === 'now') return nowMs;
  if (t.startsWith('now-')) return nowMs - parseDuration(t.slice(4), flag);
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new ConfigError(`${flag}: "${text}" is not a time (use now, now-24h, 2024-04-06T11:30:00Z or Unix seconds)`);
  return ms;
}

/** The --templates YAML: feature → template, plus `edges` for the Istio call graph. */
function readTemplates(path: string | undefined): Pick<CollectOptions, 'templates' | 'edgesTemplate'> {
  if (path === undefined) return { templates: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--templates: cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--templates: ${path} is not valid YAML: ${(err as Error).message}`);
  }
  // Feature templates are checked with the rest of the source config (parsePrometheusSourceConfig).
  const { edges, ...rest } = expectObject(raw, `--templates ${path}`);
  const templates = rest as Partial<Record<Feature, string>>;
  if (edges === undefined) return { templates };
  return { templates, edgesTemplate: checkEdgesTemplate(expectString(edges, `--templates ${path}: edges`), `--templates ${path}: edges`) };
}

async function buildGraph(options: CollectOptions, client: PrometheusClient, services: readonly string[]): Promise<{ origin: GraphOrigin; graph: CallGraph }> {
  switch (options.graph.kind) {
    case 'none':
      return { origin: 'none', graph: emptyCallGraph(services) };
    case 'topology':
      return { origin: 'topology', graph: topologyGraphFor(options.graph.path, services) };
    case 'istio': {
      const graph = await istioCallGraph(client, {
        namespace: options.namespace,
        services,
        startMs: options.startMs,
        endMs: options.endMs,
        stepSeconds: options.stepSeconds,
        ...(options.rateWindow !== undefined ? { rateWindow: options.rateWindow } : {}),
        ...(options.edgesTemplate !== undefined ? { template: options.edgesTemplate } : {}),
      });
      return { origin: 'istio', graph };
    }
  }
}

/**
 * The output folder is replaced whole, so it must be new, empty, or a dataset folder already
 * (dataset.jsonl, graph.json, .log files): `--out .` must never wipe a user's files.
 */
export function checkReplaceable(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new ConfigError(`--out: ${out} exists and is not a folder`);
  const foreign = readdirSync(out).filter((name) => name !== DATASET_FILE && name !== GRAPH_FILE && !name.endsWith('.log'));
  if (foreign.length > 0) {
    const listed = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '');
    throw new ConfigError(`--out: ${out} holds other files (${listed}); the folder is replaced whole, so name a new folder or a dataset folder`);
  }
}

/** Collects and writes the dataset folder; throws (writing nothing) on any failure. */
export async function runCollect(options: CollectOptions): Promise<CollectResult> {
  if (!(options.endMs > options.startMs)) {
    throw new ConfigError(`--end (${new Date(options.endMs).toISOString()}) must be after --start (${new Date(options.startMs).toISOString()})`);
  }
  expectPrometheusUrl(options.prometheus, '--prometheus');
  expectNamespace(options.namespace, '--namespace');
  checkReplaceable(options.out);
  const clientOptions = {
    url: options.prometheus,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
  };
  // Discovery and the call graph; the source has its own client for the range queries.
  const client = new PrometheusClient(clientOptions);
  let services = options.services;
  if (services.length === 0) {
    services = await discoverIstioWorkloads(client, options.namespace, options.startMs, options.endMs);
    if (services.length === 0) {
      throw new ConfigError(`no workloads with istio_requests_total in namespace "${options.namespace}" in that time range; name them with --services`);
    }
  }
  const config = parsePrometheusSourceConfig(
    {
      ...clientOptions,
      namespace: options.namespace,
      services,
      features: options.features,
      stepSeconds: options.stepSeconds,
      templates: options.templates,
      ...(options.rateWindow !== undefined ? { rateWindow: options.rateWindow } : {}),
    },
    'collect',
  );
  const source = new PrometheusSource(config);
  // The bar is made on the first report, when the number of queries is known.
  let bar: Progress | undefined;
  const onProgress = (done: number, total: number): void => {
    if (!options.progress) return;
    bar ??= progressBar('collect: range queries', total);
    bar.update(done);
  };
  let frames;
  try {
    frames = await source.range(options.startMs, options.endMs, onProgress);
  } finally {
    await source.close();
  }
  const dataset = framesToDataset(frames, options.stepSeconds);
  const gaps = gapSummary(dataset);
  if (gaps.values > 0 && gaps.gaps === gaps.values) {
    bar?.finish();
    // Not one sample: wrong namespace, time range or templates. Writing it would replace a good
    // folder with nothing to train on.
    throw new EmptyDatasetError(
      `no data at all: every one of the ${gaps.values} values is missing (namespace "${options.namespace}", ` +
        `${new Date(options.startMs).toISOString()} .. ${new Date(options.endMs).toISOString()}); ${options.out} was not written. ` +
        'Check the namespace, the time range and the templates against Prometheus.',
    );
  }
  const { origin, graph } = await buildGraph(options, client, services);
  bar?.finish();

  await writeDirAtomic(options.out, (dir) => {
    const files =
      options.format === 'jsonl'
        ? new Map([[DATASET_FILE, formatJsonlDataset(dataset)]])
        : formatSeedFiles(dataset, options.prefix !== undefined ? { prefix: options.prefix } : {});
    files.forEach((text, name) => writeFileSync(join(dir, name), text));
    writeFileSync(join(dir, GRAPH_FILE), formatCallGraph({ origin, graph }));
  });
  return { dataset, graph, gaps, requests: client.requests + source.client.requests };
}

interface CollectFlags {
  prometheus: string;
  namespace: string;
  services?: string;
  features?: string;
  start: string;
  end: string;
  step: string;
  rateWindow?: string;
  templates?: string;
  graph: string;
  out: string;
  format: string;
  prefix?: string;
  timeout: string;
  retries: string;
  progress: boolean;
}

function optionsFromFlags(flags: CollectFlags, nowMs: number): CollectOptions {
  const list = (text: string | undefined): string[] =>
    text === undefined
      ? []
      : text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  const features = flags.features === undefined ? [...ALL_FEATURES] : list(flags.features);
  for (const f of features) {
    if (!(ALL_FEATURES as readonly string[]).includes(f)) throw new ConfigError(`--features: unknown feature "${f}" (known: ${ALL_FEATURES.join(', ')})`);
  }
  const stepMs = parseDuration(/^\d+$/.test(flags.step) ? `${flags.step}s` : flags.step, '--step');
  if (stepMs < 1000 || stepMs % 1000 !== 0) throw new ConfigError(`--step: must be a whole number of seconds, at least 1 s, got ${flags.step}`);
  if (flags.format !== 'jsonl' && flags.format !== 'seed') throw new ConfigError(`--format: expected "jsonl" or "seed", got "${flags.format}"`);
  const retries = Number(flags.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10)
    throw new ConfigError(`--retries: expected a whole number from 0 to 10, got "${flags.retries}"`);
  return {
    prometheus: flags.prometheus,
    namespace: flags.namespace,
    services: list(flags.services),
    features: features as Feature[],
    startMs: parseTime(flags.start, '--start', nowMs),
    endMs: parseTime(flags.end, '--end', nowMs),
    stepSeconds: stepMs / 1000,
    ...(flags.rateWindow !== undefined ? { rateWindow: flags.rateWindow } : {}),
    ...readTemplates(flags.templates),
    graph: parseCallGraphSpec(flags.graph, '--graph'),
    out: flags.out,
    format: flags.format,
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    timeoutMs: parseDuration(flags.timeout, '--timeout'),
    retries,
    progress: flags.progress,
  };
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('Collect a dataset (every service × feature over a time range) from Prometheus into a folder: dataset.jsonl + graph.json.')
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://127.0.0.1:9090')
    .requiredOption('--namespace <ns>', 'Kubernetes namespace of the application')
    .requiredOption('--out <dir>', 'dataset folder to write (replaced as a whole, atomically)')
    .option('--services <list>', 'comma-separated workloads (default: those with istio_requests_total in the namespace and range)')
    .option('--features <list>', `comma-separated features (default: all: ${ALL_FEATURES.join(',')})`)
    .option('--start <time>', 'start: now, now-<duration>, ISO-8601 or Unix seconds', 'now-24h')
    .option('--end <time>', 'end: same forms as --start', 'now')
    .option('--step <duration>', 'step between samples: seconds or a duration (30s, 1m)', '30s')
    .option('--rate-window <duration>', 'the {w} of the templates: rate() window (default: the step)')
    .option(
      '--templates <file>',
      "YAML map feature → PromQL template replacing the seed's ({ns}, {svc}, {w} are substituted); key `edges` replaces the Istio call-graph query ({ns}, {w})",
    )
    .option('--graph <source>', 'call graph: istio, none, or a topology .yaml file', 'istio')
    .option('--format <format>', 'jsonl (self-describing, docs/datasets.md) or seed (<service>_<metric>.log files)', 'jsonl')
    .option('--prefix <prefix>', 'with --format seed: file name prefix (<prefix>_<service>_<metric>.log)')
    .option('--timeout <duration>', 'per Prometheus request', '30s')
    .option('--retries <n>', 'extra attempts per request on connection errors, timeouts and 5xx (exponential backoff)', '3')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      '\nExample:\n  deepscaler collect --prometheus http://127.0.0.1:9090 --namespace boutique --start now-24h --step 30s --out data/boutique-live\n' +
        '\nPrints a summary of gaps (missing samples stay gaps, never 0). Exit code 2 on bad flags, 1 when Prometheus fails or returns no data at all (nothing is written then).',
    )
    .action(async (flags: CollectFlags) => {
      const options = optionsFromFlags(flags, Date.now());
      const result = await runCollect(options);
      const { dataset, graph } = result;
      process.stdout.write(
        [
          `wrote ${options.out}: ${dataset.services.length} services × ${dataset.features.length} features × ${dataset.length} steps of ${dataset.stepSeconds} s ` +
            `(${new Date(dataset.startMs!).toISOString()} .. ${new Date(dataset.startMs! + (dataset.length - 1) * dataset.stepSeconds * 1000).toISOString()})`,
          `call graph (${options.graph.kind}): ${graph.edges.length} edges`,
          `prometheus requests: ${result.requests}`,
          formatGapSummary(result.gaps, dataset.stepSeconds),
        ].join('\n') + '\n',
      );
    });
}

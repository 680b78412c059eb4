/**
 * The Nezha RCA artifact's recordings (FSE'23, github IntelligentDDS/Nezha), as prepared under
 * `multiservice/<app>-<date>/`: one `<service>_<metric>.log` per series at a fixed 60 s step
 * (CPU in millicores, request rate in req/s, …), `services.txt`, the caller → callee graph counted
 * from the recorded spans (`callgraph_from_traces.csv`), and a README.txt giving the start time.
 * Read into our units: `cpu_cores` = millicores / 1000, `req` as is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallGraph } from '../graph/index.js';
import type { Feature } from '../core/index.js';
import { datasetIndex, type Dataset } from './index.js';
import { DatasetError, checkNonNegative } from './errors.js';

export const NEZHA_STEP_SECONDS = 60;

/** Our feature ← the recording's metric file suffix and the factor to our unit. */
const NEZHA_METRICS: readonly { readonly feature: Feature; readonly metric: string; readonly scale: number }[] = [
  { feature: 'cpu_cores', metric: 'cpu', scale: 1 / 1000 },
  { feature: 'req', metric: 'req', scale: 1 },
];

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function readSeries(path: string, feature: Feature, scale: number): Float64Array {
  const lines = readText(path).split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return Float64Array.from(lines, (raw, i) => {
    const line = raw.trim();
    const value = /^nan$/i.test(line) ? Number.NaN : line === '' ? Number.NaN : Number(line);
    if (!/^nan$/i.test(line) && !Number.isFinite(value)) throw new DatasetError(`${path}:${i + 1}: "${raw}" is not a number`);
    checkNonNegative(value, feature, `${path}:${i + 1}`);
    return value * scale;
  });
}

/** The start time from the README's "(unix 1674981669)", or null when it does not say. */
function startFromReadme(dir: string): number | null {
  const path = join(dir, 'README.txt');
  if (!existsSync(path)) return null;
  const match = /\(unix (\d+)\)/.exec(readText(path));
  return match === null ? null : Number(match[1]) * 1000;
}

/** Reads one recording folder: the dataset (cpu_cores, req) and the call graph from its spans. */
export function readNezhaRecording(dir: string): { dataset: Dataset; graph: CallGraph } {
  const services = readText(join(dir, 'services.txt'))
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (services.length === 0) throw new DatasetError(`${join(dir, 'services.txt')}: no services listed`);
  const series = services.map((service) =>
    NEZHA_METRICS.map(({ feature, metric, scale }) => readSeries(join(dir, `${service}_${metric}.log`), feature, scale)),
  );
  const length = series[0]![0]!.length;
  services.forEach((service, s) =>
    NEZHA_METRICS.forEach(({ metric }, f) => {
      if (series[s]![f]!.length !== length) {
        throw new DatasetError(
          `${dir}: ragged lengths: ${service}_${metric}.log has ${series[s]![f]!.length} lines but ${services[0]}_${NEZHA_METRICS[0]!.metric}.log has ${length}`,
        );
      }
    }),
  );
  const features = NEZHA_METRICS.map((m) => m.feature);
  const shape = { services, features, stepSeconds: NEZHA_STEP_SECONDS, startMs: startFromReadme(dir), length };
  const values = new Float32Array(length * services.length * features.length);
  series.forEach((row, s) => row.forEach((column, f) => column.forEach((v, t) => (values[datasetIndex(shape, t, s, f)] = v))));

  const known = new Set(services);
  const edges = readText(join(dir, 'callgraph_from_traces.csv'))
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const [from, to, count] = line.split(',').map((c) => c.trim());
      const weight = Number(count);
      if (from === undefined || to === undefined || !Number.isFinite(weight) || weight < 0) {
        throw new DatasetError(`${join(dir, 'callgraph_from_traces.csv')}:${i + 2}: expected caller,callee,span_count, got "${line}"`);
      }
      return { from, to, weight };
    })
    // Spans to databases and other sinks outside the service list have no series to learn from.
    .filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
  return { dataset: { ...shape, values }, graph: { services, edges } };
}

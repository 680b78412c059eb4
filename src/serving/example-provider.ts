/**
 * A MetricsProvider over a small JSON file (data/example-metrics.json): fixed values for the API
 * server's tests, independent of any loop. The adapter itself (`serve`, the default run included)
 * always serves the snapshot provider. Values carry the time they are read, as live ones would.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiError, type ExternalMetricValue, type LabelMatcher, type MetricsProvider } from './index.js';
import { ConfigError, expectArray, expectNumber, expectObject, expectString, optionalNumber, rejectUnknownKeys } from '../core/index.js';

/** The shipped example, found from the compiled file (dist/src/serving → repo root). */
export const EXAMPLE_METRICS_FILE = fileURLToPath(new URL('../../../data/example-metrics.json', import.meta.url));

interface ExampleValue {
  readonly namespace: string;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly milliValue: number;
}

function parseValue(raw: unknown, path: string): ExampleValue {
  const obj = expectObject(raw, path);
  rejectUnknownKeys(obj, path, ['namespace', 'metric', 'labels', 'milliValue']);
  const labelsObj = expectObject(obj['labels'] ?? {}, `${path}.labels`);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labelsObj)) {
    // Empty is a valid label value; only the type is checked here.
    if (typeof v !== 'string') throw new ConfigError(`${path}.labels.${k}: expected a string, got ${JSON.stringify(v)}`);
    labels[k] = v;
  }
  return {
    namespace: expectString(obj['namespace'], `${path}.namespace`),
    metric: expectString(obj['metric'], `${path}.metric`),
    labels,
    milliValue: expectNumber(obj['milliValue'], `${path}.milliValue`, { integer: true }),
  };
}

export class ExampleMetricsProvider implements MetricsProvider {
  private readonly metricNames: readonly string[];

  constructor(
    private readonly values: readonly ExampleValue[],
    private readonly windowSeconds: number | undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.metricNames = [...new Set(values.map((v) => v.metric))].sort();
  }

  /** Reads and validates the file; errors name the file and the field. */
  static fromFile(path: string = EXAMPLE_METRICS_FILE, clock: () => number = Date.now): ExampleMetricsProvider {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read example metrics ${path}: ${(err as Error).message}`, { cause: err });
    }
    const root = expectObject(raw, path);
    rejectUnknownKeys(root, path, ['comment', 'windowSeconds', 'values']);
    const values = expectArray(root['values'], `${path}: values`).map((v, i) => parseValue(v, `${path}: values[${i}]`));
    if (values.length === 0) throw new Error(`${path}: values must not be empty (discovery needs at least one metric)`);
    return new ExampleMetricsProvider(values, optionalNumber(root['windowSeconds'], `${path}: windowSeconds`, { min: 1, integer: true }), clock);
  }

  listMetrics(): readonly string[] {
    return this.metricNames;
  }

  getValues(namespace: string, metric: string, matcher: LabelMatcher): readonly ExternalMetricValue[] {
    if (!this.metricNames.includes(metric)) {
      throw new ApiError(404, 'NotFound', `external metric "${metric}" is not served; available: ${this.metricNames.join(', ')}`);
    }
    const timestamp = this.clock();
    return this.values
      .filter((v) => v.namespace === namespace && v.metric === metric && matcher(v.labels))
      .map((v) => ({
        metricName: v.metric,
        metricLabels: v.labels,
        timestamp,
        milliValue: v.milliValue,
        ...(this.windowSeconds === undefined ? {} : { windowSeconds: this.windowSeconds }),
      }));
  }
}

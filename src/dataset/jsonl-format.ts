/**
 * The self-describing dataset format (docs/datasets.md): JSON Lines. Line 1 is a header with the
 * step, start time, length, services, features and their units; every further line is one step,
 * `{"time": ISO-8601, "values": [[per feature] per service]}`, with `null` for a gap.
 * Unlike the seed's `.log` files it says when each value holds, so a wrong step or a lost row is
 * caught on read instead of silently shifting the series.
 */
import { readFileSync } from 'node:fs';
import { FEATURE_UNITS, isFeature, ALL_FEATURES, type Feature } from '../core/index.js';
import { datasetIndex, type Dataset } from './index.js';
import { DatasetError, checkNonNegative, formatFloat32 } from './errors.js';
import { writeFileAtomic } from '../util/index.js';

export const JSONL_FORMAT = 'deepscaler-dataset';
export const JSONL_VERSION = 1;

interface Header {
  readonly format: typeof JSONL_FORMAT;
  readonly version: number;
  readonly stepSeconds: number;
  readonly start: string;
  readonly length: number;
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly units: Readonly<Record<string, string>>;
}

export function formatJsonlDataset(ds: Dataset): string {
  if (ds.startMs === null) {
    throw new DatasetError('the self-describing format needs the time of the first step; this dataset has none (give a start time when reading seed files)');
  }
  const header: Header = {
    format: JSONL_FORMAT,
    version: JSONL_VERSION,
    stepSeconds: ds.stepSeconds,
    start: new Date(ds.startMs).toISOString(),
    length: ds.length,
    services: ds.services,
    features: ds.features,
    units: Object.fromEntries(ds.features.map((f) => [f, FEATURE_UNITS[f]])),
  };
  const lines = [JSON.stringify(header)];
  for (let t = 0; t < ds.length; t++) {
    const rows = ds.services.map((_, s) => {
      const cells = ds.features.map((_, f) => {
        const v = ds.values[datasetIndex(ds, t, s, f)]!;
        return Number.isNaN(v) ? 'null' : formatFloat32(v);
      });
      return `[${cells.join(',')}]`;
    });
    lines.push(`{"time":"${new Date(ds.startMs + t * ds.stepSeconds * 1000).toISOString()}","values":[${rows.join(',')}]}`);
  }
  return lines.join('\n') + '\n';
}

export function writeJsonlDataset(path: string, ds: Dataset): void {
  writeFileAtomic(path, formatJsonlDataset(ds));
}

function parseJsonLine(line: string, where: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (err) {
    throw new DatasetError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseHeader(raw: unknown, where: string): Header {
  if (!isRecord(raw) || raw['format'] !== JSONL_FORMAT) {
    throw new DatasetError(`${where}: not a dataset header (expected {"format":"${JSONL_FORMAT}", ...} on the first line)`);
  }
  if (raw['version'] !== JSONL_VERSION)
    throw new DatasetError(`${where}: version ${String(raw['version'])} is not supported (this build reads version ${JSONL_VERSION})`);
  const step = raw['stepSeconds'];
  if (typeof step !== 'number' || !(step > 0)) throw new DatasetError(`${where}: stepSeconds must be a positive number, got ${JSON.stringify(step)}`);
  const start = raw['start'];
  if (typeof start !== 'string' || Number.isNaN(Date.parse(start)))
    throw new DatasetError(`${where}: start must be an ISO-8601 time, got ${JSON.stringify(start)}`);
  const length = raw['length'];
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0)
    throw new DatasetError(`${where}: length must be a whole number, got ${JSON.stringify(length)}`);
  const services = raw['services'];
  if (!Array.isArray(services) || services.length === 0 || !services.every((s) => typeof s === 'string' && s !== '')) {
    throw new DatasetError(`${where}: services must be a non-empty list of names`);
  }
  if (new Set(services).size !== services.length) throw new DatasetError(`${where}: services lists a name twice`);
  const features = raw['features'];
  if (!Array.isArray(features) || features.length === 0) throw new DatasetError(`${where}: features must be a non-empty list`);
  features.forEach((f, i) => {
    if (typeof f !== 'string' || !isFeature(f))
      throw new DatasetError(`${where}: features[${i}]: unknown metric ${JSON.stringify(f)} (known: ${ALL_FEATURES.join(', ')})`);
  });
  const units = isRecord(raw['units']) ? raw['units'] : {};
  for (const f of features as Feature[]) {
    if (units[f] !== FEATURE_UNITS[f]) {
      throw new DatasetError(`${where}: units.${f} is ${JSON.stringify(units[f])}, but ${f} is read in "${FEATURE_UNITS[f]}"`);
    }
  }
  return {
    format: JSONL_FORMAT,
    version: JSONL_VERSION,
    stepSeconds: step,
    start,
    length,
    services,
    features: features as Feature[],
    units: units as Record<string, string>,
  };
}

/** Parses the format; `origin` (a path) prefixes every error with the line it is about. */
export function parseJsonlDataset(text: string, origin: string): Dataset {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new DatasetError(`${origin}: empty file`);
  const header = parseHeader(parseJsonLine(lines[0]!, `${origin}:1`), `${origin}:1`);
  const rows = lines.length - 1;
  if (rows !== header.length) {
    throw new DatasetError(`${origin}: the header says ${header.length} steps but the file has ${rows} (truncated or appended to?)`);
  }
  const startMs = Date.parse(header.start);
  const stepMs = header.stepSeconds * 1000;
  const ds = { services: header.services, features: header.features, stepSeconds: header.stepSeconds, startMs, length: rows };
  const values = new Float32Array(rows * ds.services.length * ds.features.length);
  for (let t = 0; t < rows; t++) {
    const where = `${origin}:${t + 2}`;
    const row = parseJsonLine(lines[t + 1]!, where);
    if (!isRecord(row) || typeof row['time'] !== 'string' || !Array.isArray(row['values'])) {
      throw new DatasetError(`${where}: expected {"time": "...", "values": [[...], ...]}`);
    }
    const expected = startMs + t * stepMs;
    if (Date.parse(row['time']) !== expected) {
      throw new DatasetError(
        `${where}: time ${row['time']} should be ${new Date(expected).toISOString()} (start + ${t} × ${header.stepSeconds} s): wrong step or a missing row`,
      );
    }
    const perService = row['values'];
    if (perService.length !== ds.services.length)
      throw new DatasetError(`${where}: values has ${perService.length} services, the header lists ${ds.services.length}`);
    perService.forEach((cells: unknown, s) => {
      const service = ds.services[s]!;
      if (!Array.isArray(cells) || cells.length !== ds.features.length) {
        throw new DatasetError(`${where}: values[${s}] (${service}) must be a list of ${ds.features.length} numbers, one per feature`);
      }
      cells.forEach((cell: unknown, f) => {
        const feature = ds.features[f]!;
        if (cell !== null && (typeof cell !== 'number' || !Number.isFinite(cell))) {
          throw new DatasetError(`${where}: values[${s}][${f}] (${service} ${feature}) is ${JSON.stringify(cell)}, not a number or null`);
        }
        const value = cell === null ? Number.NaN : cell;
        checkNonNegative(value, feature, `${where}: ${service}`);
        values[datasetIndex(ds, t, s, f)] = value;
      });
    });
  }
  return { ...ds, values };
}

export function readJsonlDataset(path: string): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read dataset ${path}: ${(err as Error).message}`);
  }
  return parseJsonlDataset(text, path);
}

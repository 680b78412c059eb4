/**
 * The seed's dataset format (what DeepScaler's collector writes and its trainer reads): one file per
 * series, `[<prefix>_]<service>_<metric>.log`, one number per line, no header, no timestamps.
 *
 * Faithful on read: the seed wrote `0` for a missing sample, and a `0` here stays 0 (it cannot be
 * told apart from a real zero, e.g. no requests). `NaN` lines are read as gaps; our writer writes
 * gaps as `NaN`, which numpy also reads as a gap.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_FEATURES, type Feature } from '../core/index.js';
import { datasetIndex, type Dataset } from './index.js';
import { DatasetError, checkNonNegative, formatFloat32 } from './errors.js';
import { writeDirAtomic } from '../util/index.js';

export interface SeedReadOptions {
  /** Seconds between lines; the files do not say. Default 30 (the shipped boutique data). */
  readonly stepSeconds?: number;
  /** Epoch ms of the first line, if the caller knows it; the files do not say. */
  readonly startMs?: number | null;
  /**
   * Only files with this prefix (`<prefix>_<service>_<metric>.log`). Without it, the folder must
   * hold files of a single prefix (or none).
   */
  readonly prefix?: string;
}

interface SeedFile {
  readonly name: string;
  readonly prefix: string | null;
  readonly service: string;
  readonly feature: Feature;
}

// Longest first, so `frontend_cpu_cores.log` is cpu_cores and not a service "frontend_cpu".
const FEATURES_BY_LENGTH = [...ALL_FEATURES].sort((a, b) => b.length - a.length);

/** Splits `[<prefix>_]<service>_<metric>.log`; service names are DNS labels, which have no `_`. */
function parseFileName(name: string): SeedFile {
  const stem = name.slice(0, -'.log'.length);
  const feature = FEATURES_BY_LENGTH.find((f) => stem.endsWith(`_${f}`));
  if (feature === undefined) {
    const metric = stem.slice(stem.lastIndexOf('_') + 1);
    throw new DatasetError(`${name}: unknown metric "${metric}" (known: ${ALL_FEATURES.join(', ')})`);
  }
  const rest = stem.slice(0, -(feature.length + 1));
  const cut = rest.lastIndexOf('_');
  const service = rest.slice(cut + 1);
  if (service === '') throw new DatasetError(`${name}: no service name before "_${feature}.log"`);
  return { name, prefix: cut < 0 ? null : rest.slice(0, cut), service, feature };
}

function parseLines(text: string, file: string, feature: Feature): Float32Array {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const out = new Float32Array(lines.length);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    const isGap = /^nan$/i.test(line);
    // Number('') is 0, so an empty line must be rejected explicitly.
    const value = isGap ? Number.NaN : line === '' ? Number.NaN : Number(line);
    if (!isGap && !Number.isFinite(value)) {
      throw new DatasetError(`${where}: "${raw}" is not a number`);
    }
    checkNonNegative(value, feature, where);
    out[i] = value;
  });
  return out;
}

/** Reads a folder of seed `.log` files into a Dataset (services sorted by name, features in ALL_FEATURES order). */
export function readSeedDataset(dir: string, options: SeedReadOptions = {}): Dataset {
  const stepSeconds = options.stepSeconds ?? 30;
  if (!(stepSeconds > 0)) throw new DatasetError(`${dir}: step must be a positive number of seconds, got ${stepSeconds}`);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.log') && statSync(join(dir, n)).isFile());
  } catch (err) {
    throw new DatasetError(`cannot read dataset folder ${dir}: ${(err as Error).message}`);
  }
  let files = names.map(parseFileName);
  if (options.prefix !== undefined) {
    files = files.filter((f) => f.prefix === options.prefix);
  } else {
    const prefixes = [...new Set(files.map((f) => f.prefix ?? '(none)'))];
    if (prefixes.length > 1) {
      throw new DatasetError(`${dir}: files of several prefixes (${prefixes.join(', ')}); choose one with the prefix option`);
    }
  }
  if (files.length === 0) {
    const which = options.prefix !== undefined ? `${options.prefix}_<service>_<metric>.log` : '<service>_<metric>.log';
    throw new DatasetError(`${dir}: no ${which} files`);
  }

  const services = [...new Set(files.map((f) => f.service))].sort();
  const features = ALL_FEATURES.filter((f) => files.some((file) => file.feature === f));
  const byKey = new Map(files.map((f) => [`${f.service}/${f.feature}`, f] as const));
  const series: Float32Array[][] = services.map((service) =>
    features.map((feature) => {
      const file = byKey.get(`${service}/${feature}`);
      if (file === undefined) {
        const example = files.find((f) => f.feature === feature)!.name;
        throw new DatasetError(`${dir}: ${service} has no ${feature} series (expected a file like ${example} for it)`);
      }
      return parseLines(readFileSync(join(dir, file.name), 'utf8'), file.name, feature);
    }),
  );

  const first = { name: byKey.get(`${services[0]}/${features[0]}`)!.name, length: series[0]![0]!.length };
  series.forEach((row, s) =>
    row.forEach((values, f) => {
      if (values.length !== first.length) {
        const name = byKey.get(`${services[s]}/${features[f]}`)!.name;
        throw new DatasetError(`${dir}: ragged lengths: ${name} has ${values.length} lines but ${first.name} has ${first.length}`);
      }
    }),
  );

  const ds = { services, features, stepSeconds, startMs: options.startMs ?? null, length: first.length };
  const values = new Float32Array(ds.length * services.length * features.length);
  series.forEach((row, s) =>
    row.forEach((column, f) => {
      for (let t = 0; t < ds.length; t++) values[datasetIndex(ds, t, s, f)] = column[t]!;
    }),
  );
  return { ...ds, values };
}

/** The seed `.log` files of a dataset: file name → text. Step and start time have no place in them. */
export function formatSeedFiles(ds: Dataset, options: { prefix?: string } = {}): Map<string, string> {
  const lead = options.prefix !== undefined ? `${options.prefix}_` : '';
  const files = new Map<string, string>();
  ds.services.forEach((service, s) =>
    ds.features.forEach((feature, f) => {
      const lines: string[] = new Array(ds.length);
      for (let t = 0; t < ds.length; t++) lines[t] = formatFloat32(ds.values[datasetIndex(ds, t, s, f)]!);
      files.set(`${lead}${service}_${feature}.log`, lines.join('\n') + '\n');
    }),
  );
  return files;
}

/** Writes a Dataset as seed `.log` files into `dir` (replaced as a whole, atomically). */
export async function writeSeedDataset(dir: string, ds: Dataset, options: { prefix?: string } = {}): Promise<void> {
  const files = formatSeedFiles(ds, options);
  await writeDirAtomic(dir, (tmp) => files.forEach((text, name) => writeFileSync(join(tmp, name), text)));
}

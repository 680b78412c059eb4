/**
 * One way in for every dataset on disk, whichever format: a `.jsonl` file, a folder holding
 * `dataset.jsonl` (what `collect` writes), or a folder of the seed's `.log` files.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './index.js';
import { DatasetError } from './errors.js';
import { readJsonlDataset } from './jsonl-format.js';
import { readSeedDataset, type SeedReadOptions } from './seed-format.js';

/** The dataset file inside a folder written by `collect`. */
export const DATASET_FILE = 'dataset.jsonl';

/** Reads a dataset in either format; `seed` options apply only to seed `.log` folders, which carry no step or start. */
export function readDataset(path: string, seed: SeedReadOptions = {}): Dataset {
  if (!existsSync(path)) throw new DatasetError(`no dataset at ${path}`);
  if (statSync(path).isFile()) {
    if (path.endsWith('.jsonl')) return readJsonlDataset(path);
    throw new DatasetError(`${path}: a dataset file must end in .jsonl; seed datasets are folders of <service>_<metric>.log files`);
  }
  const inside = join(path, DATASET_FILE);
  return existsSync(inside) ? readJsonlDataset(inside) : readSeedDataset(path, seed);
}

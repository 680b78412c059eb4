/**
 * The shipped default configuration (Online Boutique replay) with absolute paths and without the
 * GNN (Holt only), written to `dir`: a `serve` process that starts in seconds, for tests and
 * benchmarks about serving rather than forecasting. Returns the file's path.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'data');

export function writeReplayConfigWithoutModel(dir: string): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    readFileSync(join(DATA, 'default-config.yaml'), 'utf8')
      .replace(/path: boutique-30s/, `path: ${join(DATA, 'boutique-30s')}`)
      .replace(/topology: topologies\/online-boutique.yaml/, `topology: ${join(DATA, 'topologies', 'online-boutique.yaml')}`)
      .replace(/\n\s*model: [^\n]*/, ''),
  );
  return path;
}

/**
 * `deepscaler import-nezha`: converts a Nezha recording folder (multiservice/<app>-<date>/) into a
 * dataset folder exactly like `collect` writes — dataset.jsonl + graph.json, atomically — so that
 * `train` and `evaluate` read it with its call graph.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DATASET_FILE, formatJsonlDataset, readNezhaRecording } from '../dataset/index.js';
import { GRAPH_FILE, formatCallGraph } from '../graph/index.js';
import { writeDirAtomic } from '../util/index.js';
import { checkReplaceable } from './collect.js';

export async function runImportNezha(from: string, out: string): Promise<string> {
  checkReplaceable(out);
  const { dataset, graph } = readNezhaRecording(from);
  await writeDirAtomic(out, (dir) => {
    writeFileSync(join(dir, DATASET_FILE), formatJsonlDataset(dataset));
    writeFileSync(join(dir, GRAPH_FILE), formatCallGraph({ origin: 'traces', graph }));
  });
  return `${out}: ${dataset.services.length} services × ${dataset.features.join(', ')} × ${dataset.length} steps of ${dataset.stepSeconds} s, ${graph.edges.length} call-graph edges`;
}

export function registerImport(program: Command): void {
  program
    .command('import-nezha')
    .description(
      'Convert a Nezha recording (multiservice/<app>-<date>/: <service>_<metric>.log at 60 s, callgraph_from_traces.csv) into a dataset folder like collect writes',
    )
    .requiredOption('--from <dir>', 'the recording folder')
    .requiredOption('--out <dir>', 'dataset folder to write (dataset.jsonl + graph.json; replaced whole)')
    .action(async (options: { from: string; out: string }) => {
      process.stdout.write((await runImportNezha(options.from, options.out)) + '\n');
    });
}

/**
 * What `train` and `evaluate` read: a dataset in any supported format plus the call graph to start
 * from — a topology file (which also turns the seed's CPU fraction into cores), the `graph.json`
 * that `collect` wrote beside the dataset, or none (the identity graph).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, readDataset, cpuSettingsFromTopology, withCpuCores } from '../dataset/index.js';
import { type CallGraph, GRAPH_FILE, readCallGraphFile, restrictCallGraph, loadTopology, topologyCallGraph } from '../graph/index.js';
import { type Feature, ConfigError } from '../core/index.js';

export interface TrainingData {
  readonly dataset: Dataset;
  readonly callGraph: CallGraph | null;
  /** Where the starting graph came from, for provenance and reports. */
  readonly graphSource: string;
}

export interface TrainingDataOptions {
  readonly topology?: string;
  /** Step of seed `.log` folders, which do not record it (default 30 s). */
  readonly stepSeconds?: number;
  /** Features the model needs; a clear error names any the data cannot provide. */
  readonly required?: readonly Feature[];
}

export function loadTrainingData(dataPath: string, options: TrainingDataOptions = {}): TrainingData {
  let dataset = readDataset(dataPath, options.stepSeconds === undefined ? {} : { stepSeconds: options.stepSeconds });
  let callGraph: CallGraph | null = null;
  let graphSource = 'none (identity graph)';
  if (options.topology !== undefined) {
    const topology = loadTopology(options.topology);
    callGraph = restrictCallGraph(topologyCallGraph(topology), dataset.services);
    graphSource = options.topology;
    const canDerive = dataset.features.includes('cpu') && dataset.features.includes('pod');
    if (!dataset.features.includes('cpu_cores') && canDerive) dataset = withCpuCores(dataset, cpuSettingsFromTopology(topology));
  } else {
    const beside = statSync(dataPath).isDirectory() ? join(dataPath, GRAPH_FILE) : null;
    if (beside !== null && existsSync(beside)) {
      callGraph = restrictCallGraph(readCallGraphFile(beside).graph, dataset.services);
      graphSource = beside;
    }
  }
  const missing = (options.required ?? []).filter((f) => !dataset.features.includes(f));
  if (missing.length > 0) {
    const hint = missing.includes('cpu_cores') ? ' (pass --topology <file.yaml> to derive cpu_cores from the cpu fraction of limits)' : '';
    throw new ConfigError(`${dataPath}: the dataset has no ${missing.join(', ')} (it has ${dataset.features.join(', ')})${hint}`);
  }
  return { dataset, callGraph, graphSource };
}

/**
 * Call graphs on disk (`graph.json` beside a collected dataset): services, weighted edges, and
 * where the graph came from, so a reader knows whether weights are calls/s or calls per request.
 */
import { readFileSync } from 'node:fs';
import type { CallGraph } from './index.js';
import { ConfigError, expectArray, expectNumber, expectObject, expectOneOf, expectString } from '../core/index.js';
import { expectEdgeEnds } from './topology.js';

export const GRAPH_FILE = 'graph.json';

/** Where a graph came from, and so what its weights mean. */
export const GRAPH_ORIGINS = ['istio', 'topology', 'traces', 'none'] as const;
export type GraphOrigin = (typeof GRAPH_ORIGINS)[number];
export const WEIGHT_UNITS: Readonly<Record<GraphOrigin, string>> = {
  istio: 'calls/s (mean over the collected range)',
  topology: 'calls per request of the caller',
  traces: 'calls (parent → child spans) counted in the recorded traces',
  none: 'no edges',
};

export interface StoredCallGraph {
  readonly origin: GraphOrigin;
  readonly graph: CallGraph;
}

export function formatCallGraph(stored: StoredCallGraph): string {
  const { origin, graph } = stored;
  return JSON.stringify({ origin, weightUnit: WEIGHT_UNITS[origin], services: graph.services, edges: graph.edges }, null, 2) + '\n';
}

export function parseCallGraph(text: string, origin: string): StoredCallGraph {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${origin}: not valid JSON: ${(err as Error).message}`);
  }
  const obj = expectObject(raw, origin);
  const services = expectArray(obj['services'], `${origin}: services`).map((s, i) => expectString(s, `${origin}: services[${i}]`));
  const known = new Set(services);
  const edges = expectArray(obj['edges'], `${origin}: edges`).map((e, i) => {
    const path = `${origin}: edges[${i}]`;
    const edge = expectObject(e, path);
    const { from, to } = expectEdgeEnds(edge, path, known);
    return { from, to, weight: expectNumber(edge['weight'], `${path}.weight`, { min: 0 }) };
  });
  return { origin: expectOneOf(obj['origin'], `${origin}: origin`, GRAPH_ORIGINS), graph: { services, edges } };
}

export function readCallGraphFile(path: string): StoredCallGraph {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read call graph ${path}: ${(err as Error).message}`);
  }
  return parseCallGraph(text, path);
}

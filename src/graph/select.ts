/**
 * Which call graph to start from, as a user says it (`--graph istio|none|<topology.yaml>` or the
 * config's `graph:`), and a graph restricted to the services actually modelled.
 */
import type { CallGraph } from './index.js';
import { loadTopology, topologyCallGraph } from './topology.js';
import { ConfigError } from '../core/index.js';

export type CallGraphSpec = { readonly kind: 'istio' } | { readonly kind: 'none' } | { readonly kind: 'topology'; readonly path: string };

export function parseCallGraphSpec(text: string, path: string): CallGraphSpec {
  if (text === 'istio' || text === 'none') return { kind: text };
  if (/\.ya?ml$/.test(text)) return { kind: 'topology', path: text };
  throw new ConfigError(`${path}: expected "istio", "none" or a topology file (.yaml), got "${text}"`);
}

/** The graph on exactly `services` (in that order): edges touching any other service are dropped. */
export function restrictCallGraph(graph: CallGraph, services: readonly string[]): CallGraph {
  const keep = new Set(services);
  return { services: [...services], edges: graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to)) };
}

/** A topology file's graph on `services`. */
export function topologyGraphFor(path: string, services: readonly string[]): CallGraph {
  return restrictCallGraph(topologyCallGraph(loadTopology(path)), services);
}

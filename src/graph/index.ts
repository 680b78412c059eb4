/**
 * Call graphs: which service calls which, from Istio telemetry, a topology file, or none.
 * The GNN starts from this graph and learns its own; the simulator fans requests out along it.
 */

export interface CallEdge {
  readonly from: string;
  readonly to: string;
  /** Calls per second (from Istio) or calls per request of `from` (from a topology file). */
  readonly weight: number;
}

export interface CallGraph {
  readonly services: readonly string[];
  readonly edges: readonly CallEdge[];
}

/** Dense row-major N×N adjacency, A[i * N + j] = weight of i → j, in the order of `services`. */
export function adjacencyMatrix(graph: CallGraph, services: readonly string[] = graph.services): Float32Array {
  const n = services.length;
  const index = new Map(services.map((name, i) => [name, i] as const));
  const a = new Float32Array(n * n);
  for (const edge of graph.edges) {
    const i = index.get(edge.from);
    const j = index.get(edge.to);
    if (i === undefined || j === undefined) continue; // edges to services outside the set (e.g. redis) are dropped
    a[i * n + j] = (a[i * n + j] ?? 0) + edge.weight;
  }
  return a;
}

export function emptyCallGraph(services: readonly string[]): CallGraph {
  return { services: [...services], edges: [] };
}

export { formatCallGraph, GRAPH_FILE, readCallGraphFile, type GraphOrigin } from './file.js';
export { parseCallGraphSpec, restrictCallGraph, topologyGraphFor, type CallGraphSpec } from './select.js';
export { loadTopology, topologyCallGraph, topologySchema, type Topology } from './topology.js';

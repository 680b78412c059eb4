/**
 * Topology files (`topologies/*.yaml`): an application's services with CPU settings, its entry
 * service and its call edges with calls per request. Used by the simulator and as a starting graph.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { CallGraph } from './index.js';
import { ConfigError, expectArray, expectNumber, expectObject, expectString, optionalNumber } from '../core/index.js';

export interface TopologyService {
  readonly name: string;
  readonly cpuRequestMillicores: number;
  readonly cpuLimitMillicores: number | null;
}

export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly callsPerRequest: number;
}

export interface Topology {
  readonly name: string;
  readonly entry: string;
  readonly services: readonly TopologyService[];
  readonly edges: readonly TopologyEdge[];
}

export function parseTopology(text: string, origin: string): Topology {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${origin}: not valid YAML: ${(err as Error).message}`);
  }
  const root = expectObject(raw, origin);
  const name = expectString(root['name'], `${origin}: name`);
  const entry = expectString(root['entry'], `${origin}: entry`);
  const services = expectArray(root['services'], `${origin}: services`).map((item, i) => {
    const path = `${origin}: services[${i}]`;
    const obj = expectObject(item, path);
    const request = expectNumber(obj['cpuRequestMillicores'], `${path}.cpuRequestMillicores`, { min: 1 });
    const limit = optionalNumber(obj['cpuLimitMillicores'], `${path}.cpuLimitMillicores`, { min: 1 });
    return { name: expectString(obj['name'], `${path}.name`), cpuRequestMillicores: request, cpuLimitMillicores: limit ?? null };
  });
  const known = new Set(services.map((s) => s.name));
  if (!known.has(entry)) throw new ConfigError(`${origin}: entry: "${entry}" is not one of the services`);
  const edges = expectArray(root['edges'] ?? [], `${origin}: edges`).map((item, i) => {
    const path = `${origin}: edges[${i}]`;
    const obj = expectObject(item, path);
    const { from, to } = expectEdgeEnds(obj, path, known);
    return { from, to, callsPerRequest: expectNumber(obj['callsPerRequest'], `${path}.callsPerRequest`, { min: 0 }) };
  });
  return { name, entry, services, edges };
}

/** An edge's `from` and `to`, each one of the `known` services (shared with graph.json). */
export function expectEdgeEnds(obj: Record<string, unknown>, path: string, known: ReadonlySet<string>): { from: string; to: string } {
  const from = expectString(obj['from'], `${path}.from`);
  const to = expectString(obj['to'], `${path}.to`);
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!known.has(value)) throw new ConfigError(`${path}.${field}: "${value}" is not one of the services`);
  }
  return { from, to };
}

export function loadTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read topology file ${path}: ${(err as Error).message}`);
  }
  return parseTopology(text, path);
}

export function topologyCallGraph(topology: Topology): CallGraph {
  return {
    services: topology.services.map((s) => s.name),
    edges: topology.edges.map((e) => ({ from: e.from, to: e.to, weight: e.callsPerRequest })),
  };
}

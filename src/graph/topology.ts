/**
 * Topology files (`topologies/*.yaml`): an application's services with CPU settings, its entry
 * service and its call edges with calls per request. Used by the simulator and as a starting graph.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { CallGraph } from './index.js';
import { z } from 'zod';
import { checkSchema, ConfigError, expectString, text } from '../core/index.js';

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

/** A topology file; unknown keys fail (a `calls:` typo must not run a zero-edge simulation). */
export const topologySchema = z
  .strictObject({
    name: text(),
    /** Where the services, CPU settings and edges come from (repository, commit, files). */
    source: text().optional(),
    entry: text(),
    services: z
      .array(
        z.strictObject({
          name: text(),
          cpuRequestMillicores: z.number().min(1),
          cpuLimitMillicores: z.number().min(1).optional(),
        }),
      )
      .min(1),
    // `edges:` with nothing under it (YAML null) is an application without calls.
    edges: z.array(z.strictObject({ from: text(), to: text(), callsPerRequest: z.number().min(0) })).nullish(),
  })
  .superRefine((topology, ctx) => {
    const known = new Set(topology.services.map((s) => s.name));
    if (!known.has(topology.entry)) ctx.addIssue({ code: 'custom', path: ['entry'], message: `"${topology.entry}" is not one of the services` });
    (topology.edges ?? []).forEach((edge, i) => {
      for (const field of ['from', 'to'] as const) {
        if (!known.has(edge[field])) ctx.addIssue({ code: 'custom', path: ['edges', i, field], message: `"${edge[field]}" is not one of the services` });
      }
    });
  });

export function parseTopology(text: string, origin: string): Topology {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${origin}: not valid YAML: ${(err as Error).message}`);
  }
  const topology = checkSchema(topologySchema, raw, `${origin}:`);
  return {
    name: topology.name,
    entry: topology.entry,
    services: topology.services.map((s) => ({ name: s.name, cpuRequestMillicores: s.cpuRequestMillicores, cpuLimitMillicores: s.cpuLimitMillicores ?? null })),
    edges: topology.edges ?? [],
  };
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

/**
 * The plug-in point for sources, KEDA-style: each kind's file exports its config parser and its
 * constructor (a `SourcePlugin`), and this table is the one place that lists the kinds. The serve
 * configuration (src/config) parses an application's `source:` block through it and the serving
 * loop (src/loop) builds the source through it; neither knows any kind by name.
 */
import { expectObject, expectOneOf, optionalNumber, type MetricsSource } from '../core/index.js';
import type { Topology } from '../graph/index.js';
import { parsePrometheusSourceSpec, planPrometheusSource } from './prometheus.js';
import { parseReplaySourceConfig, planReplaySource } from './replay.js';
import { parseSimulatorSourceConfig, planSimulatorSource } from '../sim/index.js';

/** What a source's parser knows of its application: these fill in fields the block must not repeat. */
export interface SourceParseContext {
  /** Where the block is, for error messages (e.g. `config.applications[0].source`). */
  readonly path: string;
  /** Relative paths resolve against the configuration file's folder. */
  readonly baseDir: string;
  readonly namespace: string;
  /** null when a label selector lists them at start-up. */
  readonly services: readonly string[] | null;
  readonly stepSeconds: number;
  /** Steps of history loaded at start-up, so a model can forecast at once (common to every kind). */
  readonly warmupSteps: number;
}

/** What a source is built with at start-up. */
export interface SourceBuildContext {
  /** The application's name, for messages. */
  readonly app: string;
  readonly namespace: string;
  readonly services: readonly string[];
  readonly stepSeconds: number;
  readonly topology: Topology | null;
  /** The application's HPA settings (the simulated HPAs use them). */
  readonly scaling: { readonly targetUtilization: number; readonly minReplicas: number; readonly maxReplicas: number };
  /** The desired replicas the adapter serves now for a service, or null (the simulator's closed loop). */
  readonly served: (service: string) => number | null;
}

/** How the loop paces an opened source: with the wall clock, or one step per `intervalMs` from `anchorMs`. */
export type SourcePace =
  | { readonly kind: 'live'; readonly warmupSteps: number }
  | { readonly kind: 'accelerated'; readonly anchorMs: number; readonly intervalMs: number; readonly warmupSteps: number };

/** What a source needs to start: the services it has data for, and how to open it at a given time. */
export interface SourcePlan {
  readonly services: readonly string[];
  /** Opens the source anchored at `now` (a replay starts its clock there). */
  open(now: number): Promise<{ readonly source: MetricsSource; readonly pace: SourcePace }>;
}

export interface SourcePlugin<C extends { readonly kind: string }> {
  /** Parses the whole `source:` block (`kind` and `warmupSteps` are read already); throws a ConfigError naming the field. */
  parse(block: Readonly<Record<string, unknown>>, context: SourceParseContext): C;
  /** Everything that can fail on files or data fails here, at start-up. */
  plan(config: C, context: SourceBuildContext): SourcePlan;
}

/** Every kind of source, by the `kind:` that selects it. A new kind is one file and one line here. */
const PLUGINS = {
  replay: { parse: parseReplaySourceConfig, plan: planReplaySource },
  prometheus: { parse: parsePrometheusSourceSpec, plan: planPrometheusSource },
  simulator: { parse: parseSimulatorSourceConfig, plan: planSimulatorSource },
} as const satisfies { readonly [kind: string]: SourcePlugin<{ readonly kind: string }> };

export type SourceKind = keyof typeof PLUGINS;
export const SOURCE_KINDS = Object.keys(PLUGINS) as SourceKind[];
export type SourceConfig = ReturnType<(typeof PLUGINS)[SourceKind]['parse']>;

const DEFAULT_WARMUP_STEPS = 600;

export function parseSourceConfig(raw: unknown, context: Omit<SourceParseContext, 'warmupSteps'>): SourceConfig {
  const block = expectObject(raw, context.path);
  const kind = expectOneOf(block['kind'], `${context.path}.kind`, SOURCE_KINDS);
  // Default: enough history to rebuild the planner's calibration record (forecast/calibration.ts:
  // window + adaptSteps + a model's input + the look-ahead), so that a replica started now serves
  // what one running for hours serves.
  const warmupSteps = optionalNumber(block['warmupSteps'], `${context.path}.warmupSteps`, { min: 0, integer: true }) ?? DEFAULT_WARMUP_STEPS;
  return PLUGINS[kind].parse(block, { ...context, warmupSteps });
}

export function planSource(config: SourceConfig, context: SourceBuildContext): SourcePlan {
  return (PLUGINS[config.kind] as SourcePlugin<SourceConfig>).plan(config, context);
}

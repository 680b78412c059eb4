/**
 * The serve configuration: one YAML file listing the applications the adapter predicts for.
 * Parsing is strict (unknown keys and bad values fail at start-up, naming the field) and fills
 * every default here, so the rest of the program reads plain, complete objects.
 */
import { isAbsolute, resolve } from 'node:path';
import { BASELINE_NAMES, type BaselineName } from '../forecast/baselines.js';
import type { FallbackPolicy } from '../snapshot/index.js';
import { parseSourceConfig, type SourceConfig } from '../sources/registry.js';
import {
  ConfigError,
  expectArray,
  expectBoolean,
  expectObject,
  expectOneOf,
  expectString,
  optionalNumber,
  optionalString,
  rejectUnknownKeys,
} from './validate.js';

export const FALLBACK_POLICIES: readonly FallbackPolicy[] = ['last-value', 'reactive', 'unavailable'];

export interface ServiceOverrides {
  /** CPU request of one pod in cores; overrides the Deployment and the topology. */
  readonly cpuRequestCores?: number;
  /** Requests/s one pod handles at target; when set, request rate can drive the count too. */
  readonly reqPerPod?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export interface ApplicationConfig {
  readonly name: string;
  readonly namespace: string;
  /** Services to scale; null when `selector` picks them from the namespace's Deployments. */
  readonly services: readonly string[] | null;
  /** Label selector over Deployments (in-cluster only); null when `services` lists them. */
  readonly selector: string | null;
  readonly source: SourceConfig;
  /** Topology file (call graph and CPU requests); null when there is none. */
  readonly topology: string | null;
  /** Model folder (the GNN); null forecasts with `baseline` alone. */
  readonly model: string | null;
  /** Forecaster used when no model is configured. */
  readonly baseline: BaselineName;
  /** Steps a baseline forecasts ahead. */
  readonly baselineHorizon: number;
  readonly stepSeconds: number;
  readonly capacity: {
    /** Fraction of the CPU request a pod should use (the HPA's averageUtilization / 100). */
    readonly targetUtilization: number;
    /** Read CPU requests and current replicas from the Deployments (needs a cluster). */
    readonly fromDeployments: boolean;
  };
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly serviceOverrides: ReadonlyMap<string, ServiceOverrides>;
  readonly lookAhead: {
    readonly podStartupSeconds: number;
    readonly hpaSyncSeconds: number;
  };
  readonly margin: {
    /** Least margin, and the margin before the model has a track record (see planning/decide.ts). */
    readonly default: number;
    readonly max: number;
    /** Recent forecast errors averaged per service. */
    readonly window: number;
  };
  readonly fallback: {
    readonly policy: FallbackPolicy;
    /** Data older than this is stale and the fallback applies. */
    readonly maxAgeSeconds: number;
  };
  /** Model folder polling period; a change is loaded once it has been stable for one period. */
  readonly modelPollSeconds: number;
  /**
   * Preview mode: compute, explain and score everything, serve nothing the HPA could act on (the
   * external metrics API answers 404 for the application, KEDA NOT_FOUND).
   */
  readonly preview: boolean;
}

export interface ServeConfig {
  readonly applications: readonly ApplicationConfig[];
}

const NAME = { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, hint: 'a DNS label: lowercase letters, digits and -' };

const APP_KEYS = [
  'name',
  'namespace',
  'services',
  'selector',
  'source',
  'topology',
  'model',
  'baseline',
  'baselineHorizon',
  'stepSeconds',
  'capacity',
  'minReplicas',
  'maxReplicas',
  'serviceOverrides',
  'lookAhead',
  'margin',
  'fallback',
  'modelPollSeconds',
  'preview',
] as const;

/** Parses a parsed-YAML document. Relative paths are resolved against `baseDir` (the file's folder). */
export function parseServeConfig(raw: unknown, baseDir: string, origin = 'config'): ServeConfig {
  const root = expectObject(raw, origin);
  rejectUnknownKeys(root, origin, ['applications']);
  const list = expectArray(root['applications'], `${origin}.applications`);
  if (list.length === 0) throw new ConfigError(`${origin}.applications: list at least one application`);
  const applications = list.map((item, i) => parseApplication(item, `${origin}.applications[${i}]`, baseDir));
  checkUnique(applications, origin);
  return { applications };
}

function parseApplication(raw: unknown, path: string, baseDir: string): ApplicationConfig {
  const obj = expectObject(raw, path);
  rejectUnknownKeys(obj, path, APP_KEYS);
  const file = (value: unknown, field: string): string | null => {
    const text = optionalString(value, `${path}.${field}`);
    return text === undefined ? null : isAbsolute(text) ? text : resolve(baseDir, text);
  };
  const services =
    obj['services'] === undefined ? null : expectArray(obj['services'], `${path}.services`).map((s, j) => expectString(s, `${path}.services[${j}]`, NAME));
  const selector = optionalString(obj['selector'], `${path}.selector`) ?? null;
  if ((services === null) === (selector === null)) throw new ConfigError(`${path}: set exactly one of services (a list) or selector (Deployments' labels)`);
  if (services !== null && services.length === 0) throw new ConfigError(`${path}.services: list at least one service`);
  if (services !== null && new Set(services).size !== services.length) throw new ConfigError(`${path}.services: a service is listed twice`);

  const capacity = expectObject(obj['capacity'] ?? {}, `${path}.capacity`);
  rejectUnknownKeys(capacity, `${path}.capacity`, ['targetUtilization', 'fromDeployments']);
  const minReplicas = optionalNumber(obj['minReplicas'], `${path}.minReplicas`, { min: 0, integer: true }) ?? 1;
  const maxReplicas = optionalNumber(obj['maxReplicas'], `${path}.maxReplicas`, { min: 1, integer: true }) ?? 20;
  if (maxReplicas < minReplicas) throw new ConfigError(`${path}.maxReplicas: must be at least minReplicas (${minReplicas}), got ${maxReplicas}`);
  const lookAhead = expectObject(obj['lookAhead'] ?? {}, `${path}.lookAhead`);
  rejectUnknownKeys(lookAhead, `${path}.lookAhead`, ['podStartupSeconds', 'hpaSyncSeconds']);
  const margin = expectObject(obj['margin'] ?? {}, `${path}.margin`);
  rejectUnknownKeys(margin, `${path}.margin`, ['default', 'max', 'window']);
  const fallback = expectObject(obj['fallback'] ?? {}, `${path}.fallback`);
  rejectUnknownKeys(fallback, `${path}.fallback`, ['policy', 'maxAgeSeconds']);
  const stepSeconds = optionalNumber(obj['stepSeconds'], `${path}.stepSeconds`, { min: 1 }) ?? 30;
  const marginDefault = optionalNumber(margin['default'], `${path}.margin.default`, { min: 0, max: 10 }) ?? 0.1;
  const marginMax = optionalNumber(margin['max'], `${path}.margin.max`, { min: 0, max: 10 }) ?? 0.5;
  const fromDeployments = capacity['fromDeployments'] === undefined ? false : expectBoolean(capacity['fromDeployments'], `${path}.capacity.fromDeployments`);
  if (selector !== null && !fromDeployments) throw new ConfigError(`${path}.selector: a selector needs capacity.fromDeployments: true (it lists Deployments)`);

  return {
    name: expectString(obj['name'], `${path}.name`, NAME),
    namespace: expectString(obj['namespace'], `${path}.namespace`, NAME),
    services,
    selector,
    source: parseSourceConfig(obj['source'], { path: `${path}.source`, baseDir, namespace: String(obj['namespace']), services, stepSeconds }),
    topology: file(obj['topology'], 'topology'),
    model: file(obj['model'], 'model'),
    baseline: obj['baseline'] === undefined ? 'holt' : expectOneOf(obj['baseline'], `${path}.baseline`, BASELINE_NAMES),
    baselineHorizon: optionalNumber(obj['baselineHorizon'], `${path}.baselineHorizon`, { min: 1, max: 1000, integer: true }) ?? 10,
    stepSeconds,
    capacity: {
      targetUtilization: optionalNumber(capacity['targetUtilization'], `${path}.capacity.targetUtilization`, { min: 0.01, max: 1 }) ?? 0.7,
      fromDeployments,
    },
    minReplicas,
    maxReplicas,
    serviceOverrides: parseOverrides(obj['serviceOverrides'], `${path}.serviceOverrides`, minReplicas, maxReplicas),
    lookAhead: {
      podStartupSeconds: optionalNumber(lookAhead['podStartupSeconds'], `${path}.lookAhead.podStartupSeconds`, { min: 0 }) ?? DEFAULT_LOOK_AHEAD.podStartupSeconds,
      hpaSyncSeconds: optionalNumber(lookAhead['hpaSyncSeconds'], `${path}.lookAhead.hpaSyncSeconds`, { min: 0 }) ?? DEFAULT_LOOK_AHEAD.hpaSyncSeconds,
    },
    margin: {
      default: marginDefault,
      max: marginMax,
      window: optionalNumber(margin['window'], `${path}.margin.window`, { min: 1, integer: true }) ?? 40,
    },
    fallback: {
      policy: fallback['policy'] === undefined ? 'last-value' : expectOneOf(fallback['policy'], `${path}.fallback.policy`, FALLBACK_POLICIES),
      maxAgeSeconds: optionalNumber(fallback['maxAgeSeconds'], `${path}.fallback.maxAgeSeconds`, { min: 1 }) ?? 4 * stepSeconds,
    },
    modelPollSeconds: optionalNumber(obj['modelPollSeconds'], `${path}.modelPollSeconds`, { min: 0.05 }) ?? 2,
    preview: obj['preview'] === undefined ? false : expectBoolean(obj['preview'], `${path}.preview`),
  };
}

function parseOverrides(raw: unknown, path: string, minReplicas: number, maxReplicas: number): Map<string, ServiceOverrides> {
  const out = new Map<string, ServiceOverrides>();
  if (raw === undefined) return out;
  for (const [service, value] of Object.entries(expectObject(raw, path))) {
    const at = `${path}.${service}`;
    expectString(service, at, NAME);
    const obj = expectObject(value, at);
    rejectUnknownKeys(obj, at, ['cpuRequestCores', 'reqPerPod', 'minReplicas', 'maxReplicas']);
    const o: ServiceOverrides = {
      cpuRequestCores: optionalNumber(obj['cpuRequestCores'], `${at}.cpuRequestCores`, { min: 0.001 }),
      reqPerPod: optionalNumber(obj['reqPerPod'], `${at}.reqPerPod`, { min: 0.001 }),
      minReplicas: optionalNumber(obj['minReplicas'], `${at}.minReplicas`, { min: 0, integer: true }),
      maxReplicas: optionalNumber(obj['maxReplicas'], `${at}.maxReplicas`, { min: 1, integer: true }),
    };
    if ((o.maxReplicas ?? maxReplicas) < (o.minReplicas ?? minReplicas)) {
      throw new ConfigError(`${at}.maxReplicas: must be at least minReplicas (${o.minReplicas ?? minReplicas}), got ${o.maxReplicas ?? maxReplicas}`);
    }
    out.set(service, o);
  }
  return out;
}

/** Names must be unique, and one (namespace, service) pair has one owner: the HPA sums every item it gets. */
function checkUnique(apps: readonly ApplicationConfig[], origin: string): void {
  const names = new Set<string>();
  const owners = new Map<string, string>();
  apps.forEach((app, i) => {
    if (names.has(app.name)) throw new ConfigError(`${origin}.applications[${i}].name: "${app.name}" is used twice`);
    names.add(app.name);
    for (const service of app.services ?? []) {
      const key = `${app.namespace}/${service}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        throw new ConfigError(`${origin}.applications[${i}].services: "${service}" in namespace "${app.namespace}" is already served by application "${owner}"`);
      }
      owners.set(key, app.name);
    }
  });
}

/** Pod start-up and HPA sync when the config does not say (also `evaluate`'s default look-ahead). */
export const DEFAULT_LOOK_AHEAD = { podStartupSeconds: 60, hpaSyncSeconds: 15 } as const;

/** The look-ahead window without the prediction age (which the loop measures at each step). */
export function lookAheadBaseSeconds(app: ApplicationConfig): number {
  return app.lookAhead.podStartupSeconds + app.lookAhead.hpaSyncSeconds;
}

/**
 * The serve configuration: one YAML file listing the applications the adapter predicts for.
 * Parsing is strict (unknown keys and bad values fail at start-up, naming the field) and fills
 * every default here, so the rest of the program reads plain, complete objects.
 */
import { isAbsolute, resolve } from 'node:path';
import { BASELINE_NAMES, type BaselineName, DEFAULT_CALIBRATION, type CalibrationOptions } from '../forecast/index.js';
import { SCALE_IN_MODES, type ScaleInMode, type ServicePolicy } from '../planning/index.js';
import type { FallbackPolicy } from '../snapshot/index.js';
import { parseSourceConfig, type SourceConfig } from '../sources/index.js';
import {
  ConfigError,
  Problems,
  expectArray,
  expectBoolean,
  expectObject,
  expectOneOf,
  expectString,
  optionalNumber,
  type NumberRule,
  optionalString,
  rejectUnknownKeys,
} from '../core/index.js';

export const FALLBACK_POLICIES: readonly FallbackPolicy[] = ['last-value', 'reactive', 'unavailable'];

export interface ServiceOverrides {
  /** CPU request of one pod in cores; overrides the Deployment and the topology. */
  readonly cpuRequestCores?: number;
  /** Requests/s one pod handles at target; when set, request rate can drive the count too. */
  readonly reqPerPod?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly risk?: number;
  readonly scaleIn?: ScaleInMode;
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
    /** The HPA's scale-down stabilization window: how far the scale-in guard looks beyond start-up. */
    readonly scaleDownWindowSeconds: number;
  };
  /**
   * Accepted probability that a service's peak demand in the look-ahead exceeds its planned
   * capacity: each service is sized for the (1 − risk) quantile of its look-ahead peak.
   */
  readonly risk: number;
  /** When a forecast may lower the count (planning/decide.ts). */
  readonly scaleIn: ScaleInMode;
  /** The online conformal calibration that turns risk into a correction of the forecast peak. */
  readonly calibration: CalibrationOptions;
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
  'risk',
  'scaleIn',
  'calibration',
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
  const problems = new Problems();
  const applications = list.flatMap((item, i) => problems.take(() => [parseApplication(item, `${origin}.applications[${i}]`, baseDir)], []));
  problems.throwIfAny();
  checkUnique(applications, origin);
  return { applications };
}

/** What `margin` became: named in the error an old configuration gets. */
const MARGIN_REPLACED =
  "replaced by risk (the accepted probability that a service's peak demand in the look-ahead exceeds its planned capacity, " +
  'default 0.05; per service under serviceOverrides.<service>.risk): the correction over the forecast is now calibrated ' +
  'from its own record (calibration.*). Remove margin and set risk';

function parseApplication(raw: unknown, path: string, baseDir: string): ApplicationConfig {
  const obj = expectObject(raw, path);
  // Every field is checked even after one fails, so a start-up names every bad field at once.
  const p = new Problems();
  if (obj['margin'] !== undefined) p.add(`${path}.margin: ${MARGIN_REPLACED}`);
  p.take(() => rejectUnknownKeys(Object.fromEntries(Object.entries(obj).filter(([key]) => key !== 'margin')), path, APP_KEYS), undefined);
  const section = (key: string, known: readonly string[]): Record<string, unknown> =>
    p.take(() => {
      const value = expectObject(obj[key] ?? {}, `${path}.${key}`);
      rejectUnknownKeys(value, `${path}.${key}`, known);
      return value;
    }, {});
  const file = (field: string): string | null =>
    p.take(() => {
      const text = optionalString(obj[field], `${path}.${field}`);
      return text === undefined ? null : isAbsolute(text) ? text : resolve(baseDir, text);
    }, null);
  const before = p.count;
  const services = p.take(
    () =>
      obj['services'] === undefined ? null : expectArray(obj['services'], `${path}.services`).map((s, j) => expectString(s, `${path}.services[${j}]`, NAME)),
    null,
  );
  const selector = p.take(() => optionalString(obj['selector'], `${path}.selector`) ?? null, null);
  if ((services === null) === (selector === null) && p.count === before)
    p.add(`${path}: set exactly one of services (a list) or selector (Deployments' labels)`);
  if (services !== null && services.length === 0) p.add(`${path}.services: list at least one service`);
  if (services !== null && new Set(services).size !== services.length) p.add(`${path}.services: a service is listed twice`);

  const capacity = section('capacity', ['targetUtilization', 'fromDeployments']);
  const lookAhead = section('lookAhead', ['podStartupSeconds', 'hpaSyncSeconds', 'scaleDownWindowSeconds']);
  const calibration = section('calibration', ['window', 'adaptSteps', 'stepSize', 'minCorrection', 'maxCorrection']);
  const fallback = section('fallback', ['policy', 'maxAgeSeconds']);
  const number = (value: unknown, field: string, rule: NumberRule, standIn: number): number =>
    p.take(() => optionalNumber(value, `${path}.${field}`, rule) ?? standIn, standIn);
  const minReplicas = number(obj['minReplicas'], 'minReplicas', { min: 0, integer: true }, 1);
  const maxReplicas = number(obj['maxReplicas'], 'maxReplicas', { min: 1, integer: true }, 20);
  if (maxReplicas < minReplicas) p.add(`${path}.maxReplicas: must be at least minReplicas (${minReplicas}), got ${maxReplicas}`);
  const stepSeconds = number(obj['stepSeconds'], 'stepSeconds', { min: 1 }, 30);
  const fromDeployments = p.take(
    () => (capacity['fromDeployments'] === undefined ? false : expectBoolean(capacity['fromDeployments'], `${path}.capacity.fromDeployments`)),
    false,
  );
  if (selector !== null && !fromDeployments) p.add(`${path}.selector: a selector needs capacity.fromDeployments: true (it lists Deployments)`);
  const risk = number(obj['risk'], 'risk', RISK_RULE, DEFAULT_RISK);
  const scaleIn = p.take(() => (obj['scaleIn'] === undefined ? 'forecast' : expectOneOf(obj['scaleIn'], `${path}.scaleIn`, SCALE_IN_MODES)), 'forecast');
  const minCorrection = number(calibration['minCorrection'], 'calibration.minCorrection', { min: 0.01, max: 1 }, DEFAULT_CALIBRATION.minCorrection);

  const config: ApplicationConfig = {
    name: p.take(() => expectString(obj['name'], `${path}.name`, NAME), ''),
    namespace: p.take(() => expectString(obj['namespace'], `${path}.namespace`, NAME), ''),
    services,
    selector,
    source: p.take(
      () => parseSourceConfig(obj['source'], { path: `${path}.source`, baseDir, namespace: String(obj['namespace']), services, stepSeconds }),
      STAND_IN_SOURCE,
    ),
    topology: file('topology'),
    model: file('model'),
    baseline: p.take(() => (obj['baseline'] === undefined ? 'holt' : expectOneOf(obj['baseline'], `${path}.baseline`, BASELINE_NAMES)), 'holt'),
    baselineHorizon: number(obj['baselineHorizon'], 'baselineHorizon', { min: 1, max: 1000, integer: true }, 10),
    stepSeconds,
    capacity: {
      targetUtilization: number(capacity['targetUtilization'], 'capacity.targetUtilization', { min: 0.01, max: 1 }, 0.7),
      fromDeployments,
    },
    minReplicas,
    maxReplicas,
    serviceOverrides: p.take(() => parseOverrides(obj['serviceOverrides'], `${path}.serviceOverrides`, minReplicas, maxReplicas), new Map()),
    lookAhead: {
      podStartupSeconds: number(lookAhead['podStartupSeconds'], 'lookAhead.podStartupSeconds', { min: 0 }, DEFAULT_LOOK_AHEAD.podStartupSeconds),
      hpaSyncSeconds: number(lookAhead['hpaSyncSeconds'], 'lookAhead.hpaSyncSeconds', { min: 0 }, DEFAULT_LOOK_AHEAD.hpaSyncSeconds),
      // The HPA's default; set it to your HPAs' behavior.scaleDown.stabilizationWindowSeconds.
      scaleDownWindowSeconds: number(lookAhead['scaleDownWindowSeconds'], 'lookAhead.scaleDownWindowSeconds', { min: 0 }, 300),
    },
    risk,
    scaleIn,
    calibration: {
      window: number(calibration['window'], 'calibration.window', { min: 10, max: 100_000, integer: true }, DEFAULT_CALIBRATION.window),
      adaptSteps: number(calibration['adaptSteps'], 'calibration.adaptSteps', { min: 0, max: 100_000, integer: true }, DEFAULT_CALIBRATION.adaptSteps),
      stepSize: number(calibration['stepSize'], 'calibration.stepSize', { min: 0, max: 0.5 }, DEFAULT_CALIBRATION.stepSize),
      minCorrection,
      maxCorrection: number(calibration['maxCorrection'], 'calibration.maxCorrection', { min: 1, max: 100 }, DEFAULT_CALIBRATION.maxCorrection),
    },
    fallback: {
      policy: p.take(
        () => (fallback['policy'] === undefined ? 'last-value' : expectOneOf(fallback['policy'], `${path}.fallback.policy`, FALLBACK_POLICIES)),
        'last-value',
      ),
      maxAgeSeconds: number(fallback['maxAgeSeconds'], 'fallback.maxAgeSeconds', { min: 1 }, 4 * stepSeconds),
    },
    modelPollSeconds: number(obj['modelPollSeconds'], 'modelPollSeconds', { min: 0.05 }, 2),
    preview: p.take(() => (obj['preview'] === undefined ? false : expectBoolean(obj['preview'], `${path}.preview`)), false),
  };
  p.throwIfAny();
  return config;
}

/** Risk is a probability of under-provisioning; above one half the "upper quantile" would be below the median. */
const RISK_RULE: NumberRule = { min: 0.001, max: 0.5 };
export const DEFAULT_RISK = 0.05;

/** Stands in for a source that failed to parse, so the other fields are still checked (never returned). */
const STAND_IN_SOURCE: SourceConfig = { kind: 'replay', path: '', stepIntervalSeconds: 1, warmupSteps: 0 };

function parseOverrides(raw: unknown, path: string, minReplicas: number, maxReplicas: number): Map<string, ServiceOverrides> {
  const out = new Map<string, ServiceOverrides>();
  if (raw === undefined) return out;
  const p = new Problems();
  for (const [service, value] of Object.entries(expectObject(raw, path))) {
    const at = `${path}.${service}`;
    p.take(() => expectString(service, at, NAME), '');
    const obj = p.take(() => expectObject(value, at), {});
    p.take(() => rejectUnknownKeys(obj, at, ['cpuRequestCores', 'reqPerPod', 'minReplicas', 'maxReplicas', 'risk', 'scaleIn']), undefined);
    const o: ServiceOverrides = {
      cpuRequestCores: p.take(() => optionalNumber(obj['cpuRequestCores'], `${at}.cpuRequestCores`, { min: 0.001 }), undefined),
      reqPerPod: p.take(() => optionalNumber(obj['reqPerPod'], `${at}.reqPerPod`, { min: 0.001 }), undefined),
      minReplicas: p.take(() => optionalNumber(obj['minReplicas'], `${at}.minReplicas`, { min: 0, integer: true }), undefined),
      maxReplicas: p.take(() => optionalNumber(obj['maxReplicas'], `${at}.maxReplicas`, { min: 1, integer: true }), undefined),
      risk: p.take(() => optionalNumber(obj['risk'], `${at}.risk`, RISK_RULE), undefined),
      scaleIn: p.take(() => (obj['scaleIn'] === undefined ? undefined : expectOneOf(obj['scaleIn'], `${at}.scaleIn`, SCALE_IN_MODES)), undefined),
    };
    if ((o.maxReplicas ?? maxReplicas) < (o.minReplicas ?? minReplicas)) {
      p.add(`${at}.maxReplicas: must be at least minReplicas (${o.minReplicas ?? minReplicas}), got ${o.maxReplicas ?? maxReplicas}`);
    }
    out.set(service, o);
  }
  p.throwIfAny();
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
        throw new ConfigError(
          `${origin}.applications[${i}].services: "${service}" in namespace "${app.namespace}" is already served by application "${owner}"`,
        );
      }
      owners.set(key, app.name);
    }
  });
}

/** Pod start-up and HPA sync when the config does not say (also `evaluate`'s default look-ahead). */
export const DEFAULT_LOOK_AHEAD = { podStartupSeconds: 60, hpaSyncSeconds: 15 } as const;

/** The look-ahead window without the data age (which depends on the source: see loop/timeline.ts). */
export function lookAheadBaseSeconds(app: ApplicationConfig): number {
  return app.lookAhead.podStartupSeconds + app.lookAhead.hpaSyncSeconds;
}

/** A service's policy: its override, else the application's. */
export function servicePolicy(app: ApplicationConfig, service: string): ServicePolicy {
  const override = app.serviceOverrides.get(service);
  return { risk: override?.risk ?? app.risk, scaleIn: override?.scaleIn ?? app.scaleIn };
}

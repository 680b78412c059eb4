/**
 * The serve configuration: one YAML file listing the applications the adapter predicts for.
 * Parsing is strict (unknown keys and bad values fail at start-up, naming the field) and fills
 * every default here, so the rest of the program reads plain, complete objects.
 */
import { isAbsolute, resolve } from 'node:path';
import { BASELINE_NAMES, type BaselineName, DEFAULT_CALIBRATION, type CalibrationOptions } from '../forecast/index.js';
import { SCALE_IN_MODES, type ScaleInMode, type ServicePolicy } from '../planning/index.js';
import type { FallbackPolicy } from '../snapshot/index.js';
import { parseSourceConfig, SOURCE_KINDS, type SourceConfig } from '../sources/index.js';
import { z } from 'zod';
import { checkSchema, ConfigError, Problems, text } from '../core/index.js';

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
const dnsLabel = (): z.ZodString =>
  z
    .string()
    .min(1, { abort: true })
    .regex(NAME.pattern, { error: (issue) => `${JSON.stringify(issue.input)} is not valid (${NAME.hint})` });

/** What `margin` became: named in the error an old configuration gets. */
const MARGIN_REPLACED =
  "replaced by risk (the accepted probability that a service's peak demand in the look-ahead exceeds its planned capacity, " +
  'default 0.05; per service under serviceOverrides.<service>.risk): the correction over the forecast is now calibrated ' +
  'from its own record (calibration.*). Remove margin and set risk';

/** Risk is a probability of under-provisioning; above one half the "upper quantile" would be below the median. */
const riskSchema = (): z.ZodNumber => z.number().min(0.001).max(0.5);
export const DEFAULT_RISK = 0.05;

/** Pod start-up and HPA sync when the config does not say (also `evaluate`'s default look-ahead). */
export const DEFAULT_LOOK_AHEAD = { podStartupSeconds: 60, hpaSyncSeconds: 15 } as const;

/** A source block's kind; its other fields belong to that kind's plug-in (sources/registry.ts). */
const sourceHeadSchema = z.looseObject({ kind: z.enum(SOURCE_KINDS) });

const serviceOverridesSchema = z.strictObject({
  /** CPU request of one pod in cores; overrides the Deployment and the topology. */
  cpuRequestCores: z.number().min(0.001).optional(),
  /** Requests/s one pod handles at target; when set, request rate can drive the count too. */
  reqPerPod: z.number().min(0.001).optional(),
  minReplicas: z.int().min(0).optional(),
  maxReplicas: z.int().min(1).optional(),
  risk: riskSchema().optional(),
  scaleIn: z.enum(SCALE_IN_MODES).optional(),
});

/**
 * One application as written in the file. The source block is checked by its plug-in (the source
 * registry), which needs the application's namespace, services and step; so it is open here.
 */
export const applicationSchema = z
  .strictObject({
    name: dnsLabel(),
    namespace: dnsLabel(),
    services: z.array(dnsLabel()).min(1).optional(),
    selector: text().optional(),
    source: sourceHeadSchema,
    topology: text().optional(),
    model: text().optional(),
    baseline: z.enum(BASELINE_NAMES).default('holt'),
    baselineHorizon: z.int().min(1).max(1000).default(10),
    stepSeconds: z.number().min(1).default(30),
    capacity: z.strictObject({ targetUtilization: z.number().min(0.01).max(1).default(0.7), fromDeployments: z.boolean().default(false) }).prefault({}),
    minReplicas: z.int().min(0).default(1),
    maxReplicas: z.int().min(1).default(20),
    serviceOverrides: z.record(dnsLabel(), serviceOverridesSchema).default({}),
    lookAhead: z
      .strictObject({
        podStartupSeconds: z.number().min(0).default(DEFAULT_LOOK_AHEAD.podStartupSeconds),
        hpaSyncSeconds: z.number().min(0).default(DEFAULT_LOOK_AHEAD.hpaSyncSeconds),
        // The HPA's default; set it to your HPAs' behavior.scaleDown.stabilizationWindowSeconds.
        scaleDownWindowSeconds: z.number().min(0).default(300),
      })
      .prefault({}),
    risk: riskSchema().default(DEFAULT_RISK),
    scaleIn: z.enum(SCALE_IN_MODES).default('forecast'),
    calibration: z
      .strictObject({
        window: z.int().min(10).max(100_000).default(DEFAULT_CALIBRATION.window),
        adaptSteps: z.int().min(0).max(100_000).default(DEFAULT_CALIBRATION.adaptSteps),
        stepSize: z.number().min(0).max(0.5).default(DEFAULT_CALIBRATION.stepSize),
        minCorrection: z.number().min(0.01).max(1).default(DEFAULT_CALIBRATION.minCorrection),
        maxCorrection: z.number().min(1).max(100).default(DEFAULT_CALIBRATION.maxCorrection),
      })
      .prefault({}),
    fallback: z.strictObject({ policy: z.enum(FALLBACK_POLICIES).default('last-value'), maxAgeSeconds: z.number().min(1).optional() }).prefault({}),
    modelPollSeconds: z.number().min(0.05).default(2),
    preview: z.boolean().default(false),
    // Removed: an old file gets an error that says what replaced it (an editor flags it too).
    margin: z.never({ error: MARGIN_REPLACED }).optional(),
  })
  .superRefine((app, ctx) => {
    if ((app.services === undefined) === (app.selector === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: "set exactly one of services (a list) or selector (Deployments' labels)" });
    }
    if (app.services !== undefined && new Set(app.services).size !== app.services.length) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'a service is listed twice' });
    }
    if (app.maxReplicas < app.minReplicas) {
      ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: `must be at least minReplicas (${app.minReplicas}), got ${app.maxReplicas}` });
    }
    if (app.selector !== undefined && !app.capacity.fromDeployments) {
      ctx.addIssue({ code: 'custom', path: ['selector'], message: 'a selector needs capacity.fromDeployments: true (it lists Deployments)' });
    }
    for (const [service, o] of Object.entries(app.serviceOverrides)) {
      const min = o.minReplicas ?? app.minReplicas;
      const max = o.maxReplicas ?? app.maxReplicas;
      if (max < min)
        ctx.addIssue({ code: 'custom', path: ['serviceOverrides', service, 'maxReplicas'], message: `must be at least minReplicas (${min}), got ${max}` });
    }
  });

/** The whole file. */
export const serveConfigSchema = z.strictObject({ applications: z.array(applicationSchema).min(1) });

/** Parses a parsed-YAML document. Relative paths are resolved against `baseDir` (the file's folder). */
export function parseServeConfig(raw: unknown, baseDir: string, origin = 'config'): ServeConfig {
  const p = new Problems();
  const parsed = p.take(() => checkSchema(serveConfigSchema, raw, origin), undefined);
  // Source blocks are checked by their plug-ins even when other fields fail, so every problem is named at once.
  const rawApps = (raw as { applications?: unknown } | null)?.applications;
  const applications = (Array.isArray(rawApps) ? rawApps : []).flatMap((item: unknown, i) => {
    const app = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
    const path = `${origin}.applications[${i}]`;
    const checked = parsed?.applications[i];
    // A missing or unknown kind is already named by the schema.
    if (!sourceHeadSchema.safeParse(app['source']).success) return [];
    const source = p.take(
      () =>
        parseSourceConfig(app['source'], {
          path: `${path}.source`,
          baseDir,
          namespace: String(app['namespace']),
          services: checked?.services ?? null,
          stepSeconds: checked?.stepSeconds ?? 30,
        }),
      undefined,
    );
    return checked === undefined || source === undefined ? [] : [toApplication(checked, source, baseDir)];
  });
  p.throwIfAny();
  checkUnique(applications, origin);
  return { applications };
}

/** Fills what depends on other fields and resolves paths: the rest of the program reads plain, complete objects. */
function toApplication(app: z.output<typeof applicationSchema>, source: SourceConfig, baseDir: string): ApplicationConfig {
  const file = (path: string | undefined): string | null => (path === undefined ? null : isAbsolute(path) ? path : resolve(baseDir, path));
  const { margin: _removed, services, selector, topology, model, serviceOverrides, fallback, ...rest } = app;
  return {
    ...rest,
    services: services ?? null,
    selector: selector ?? null,
    source,
    topology: file(topology),
    model: file(model),
    serviceOverrides: new Map(Object.entries(serviceOverrides)),
    fallback: { policy: fallback.policy, maxAgeSeconds: fallback.maxAgeSeconds ?? 4 * app.stepSeconds },
  };
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

/** The look-ahead window without the data age (which depends on the source: see loop/timeline.ts). */
export function lookAheadBaseSeconds(app: ApplicationConfig): number {
  return app.lookAhead.podStartupSeconds + app.lookAhead.hpaSyncSeconds;
}

/** A service's policy: its override, else the application's. */
export function servicePolicy(app: ApplicationConfig, service: string): ServicePolicy {
  const override = app.serviceOverrides.get(service);
  return { risk: override?.risk ?? app.risk, scaleIn: override?.scaleIn ?? app.scaleIn };
}

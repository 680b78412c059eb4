/**
 * What `deepscaler explain` shows: one JSON document per namespace (served by the adapter on an
 * authenticated route) and its plain-text rendering (printed by the CLI). The document is the
 * contract between the two; the text is for people.
 */
import type { ReasonKind } from '../planning/index.js';
import type { ServiceScorecard } from './scorecard.js';

export const EXPLANATION_KIND = 'DeepScalerExplanation';
export const EXPLANATION_API_VERSION = 'deepscaler.io/v1alpha1';

export interface ModeChange {
  /** Epoch ms. */
  readonly at: number;
  /** "forecast", "cold-start", "reactive", "last-value", "unavailable", with " (stale)" when stale. */
  readonly mode: string;
  readonly reason: string | null;
}

export interface ServiceExplanation {
  readonly service: string;
  readonly desiredReplicas: number;
  /** The count before the last change, and when it changed (epoch ms); null before any change. */
  readonly previousReplicas: number | null;
  readonly changedAt: number | null;
  readonly reason: {
    readonly kind: ReasonKind;
    readonly driver: string;
    /** Seconds ahead of the data the deciding demand was forecast for; 0 for current usage. */
    readonly horizonSeconds: number;
    readonly demand: number;
    readonly capacityPerPod: number;
    /** The risk the count was sized for (0.05 = 5 %); null when current usage decided. */
    readonly risk: number | null;
    /** Calibrated factor on the forecast peak (1 for current usage). */
    readonly correction: number;
    readonly text: string;
  };
  /** Observed now (NaN → null). */
  readonly actual: { readonly cpuCores: number | null; readonly req: number | null; readonly replicas: number | null };
  /** What the forecast one step earlier said for now; null without one. */
  readonly forecastForNow: { readonly cpuCores: number | null; readonly req: number | null } | null;
  /** Peak forecast demand inside the look-ahead window. */
  readonly peak: { readonly cpuCores: number | null; readonly req: number | null };
  readonly scorecard: ServiceScorecard | null;
}

export interface RetrainSummary {
  readonly at: string;
  readonly promoted: boolean;
  readonly reason: string;
}

export interface ApplicationExplanation {
  readonly app: string;
  readonly namespace: string;
  /** serving: the HPA reads these values; preview: computed and scored, not served. */
  readonly mode: 'serving' | 'preview';
  readonly computedAt: number;
  readonly dataTimestamp: number;
  readonly stepSeconds: number;
  readonly forecaster: string;
  readonly modelLoaded: boolean;
  readonly fallback: string | null;
  readonly stale: boolean;
  readonly unavailableReason: string | null;
  readonly lastError: string | null;
  /** Newest first, at most a few. */
  readonly recentModes: readonly ModeChange[];
  /** Seconds between a plan and the step the scorecard judges it on. */
  readonly scorecardDelaySeconds: number;
  /** Epoch ms the scorecard started counting (adapter start). */
  readonly scorecardSince: number;
  readonly lastRetrain: RetrainSummary | null;
  readonly services: readonly ServiceExplanation[];
}

export interface Explanation {
  readonly kind: typeof EXPLANATION_KIND;
  readonly apiVersion: typeof EXPLANATION_API_VERSION;
  readonly namespace: string;
  /** Epoch ms. */
  readonly generatedAt: number;
  readonly applications: readonly ApplicationExplanation[];
}

const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : String(Math.round(x * 10 ** digits) / 10 ** digits);
const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** ", risk 5%, correction ×1.21" for a forecast count; nothing for one current usage decided. */
export function sizing(reason: { readonly risk: number | null; readonly correction: number }): string {
  return reason.risk === null ? '' : `, risk ${pct(reason.risk)}, correction ×${Math.round(reason.correction * 1000) / 1000}`;
}

function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

const replicas = (n: number): string => `${n} ${n === 1 ? 'replica' : 'replicas'}`;

function iso(at: number): string {
  return new Date(at).toISOString().replace('.000Z', 'Z');
}

function forecastLine(s: ServiceExplanation): string {
  const parts: string[] = [];
  const pair = (label: string, unit: string, actual: number | null, forecast: number | null | undefined): void => {
    if (actual === null && (forecast === null || forecast === undefined)) return;
    const error =
      actual !== null && forecast !== null && forecast !== undefined && actual > 0
        ? ` (${forecast >= actual ? '+' : ''}${pct((forecast - actual) / actual)})`
        : '';
    parts.push(
      forecast === undefined ? `${label} ${num(actual)} ${unit} actual` : `${label} ${num(forecast)} forecast vs ${num(actual)} ${unit} actual${error}`,
    );
  };
  pair('cpu', 'cores', s.actual.cpuCores, s.forecastForNow === null ? undefined : s.forecastForNow.cpuCores);
  pair('req', 'req/s', s.actual.req, s.forecastForNow === null ? undefined : s.forecastForNow.req);
  const now = parts.length === 0 ? 'no observation yet' : parts.join('; ');
  const peaks = [s.peak.cpuCores === null ? null : `cpu ${num(s.peak.cpuCores)} cores`, s.peak.req === null ? null : `req ${num(s.peak.req)} req/s`].filter(
    (p) => p !== null,
  );
  const peak = peaks.length > 0 ? `; peak ahead ${peaks.join(', ')}` : '';
  return `    now: ${now}${s.forecastForNow === null ? ' (no forecast from the previous step)' : ''}${peak}; running ${s.actual.replicas === null ? 'unknown' : replicas(s.actual.replicas)}`;
}

function scorecardLines(s: ServiceScorecard, delaySeconds: number): string[] {
  if (s.scoredMinutes === 0)
    return [`    scorecard: nothing scored yet (${s.skippedSteps} steps without demand, running replicas or a plan ${delaySeconds} s old)`];
  return [
    `    scorecard over ${num(s.scoredMinutes, 1)} min: under-provisioned ${num(s.actual.underProvisionedMinutes, 1)} min as run vs ${num(s.planned.underProvisionedMinutes, 1)} min as planned; ` +
      `replica-hours ${num(s.actual.replicaHours, 2)} used vs ${num(s.planned.replicaHours, 2)} planned`,
  ];
}

/** The text `deepscaler explain` prints; `now` makes ages reproducible. */
export function renderExplanation(doc: Explanation, now: number): string {
  const out: string[] = [];
  if (doc.applications.length === 0) return `no application is served in namespace ${doc.namespace}\n`;
  for (const app of doc.applications) {
    const mode = app.mode === 'preview' ? 'PREVIEW (computed and scored, not served to the HPA)' : 'serving';
    out.push(`application ${app.app} in namespace ${app.namespace}: ${mode}`);
    out.push(
      `  decided ${ago(app.computedAt, now)} (${iso(app.computedAt)}) from data of ${iso(app.dataTimestamp)}, step ${app.stepSeconds} s; ` +
        `forecaster ${app.forecaster}${app.modelLoaded ? ' (model loaded)' : ''}`,
    );
    const fallback = app.unavailableReason !== null ? `unavailable: ${app.unavailableReason}` : (app.fallback ?? 'none (the forecast decides)');
    out.push(`  fallback: ${fallback}${app.stale ? ' — data is STALE' : ''}`);
    if (app.lastError !== null) out.push(`  last error: ${app.lastError}`);
    if (app.recentModes.length > 0) {
      out.push(`  recent modes: ${app.recentModes.map((m) => `${m.mode} since ${iso(m.at)}${m.reason ? ` (${m.reason})` : ''}`).join('; ')}`);
    }
    if (app.lastRetrain !== null) {
      out.push(`  last retrain ${app.lastRetrain.at}: ${app.lastRetrain.promoted ? 'promoted' : 'kept the live model'} — ${app.lastRetrain.reason}`);
    }
    for (const s of app.services) {
      const changed = s.previousReplicas === null || s.changedAt === null ? '' : ` (was ${s.previousReplicas}, changed ${ago(s.changedAt, now)})`;
      out.push(`  ${s.service}: ${replicas(s.desiredReplicas)}${changed}`);
      const horizon = s.reason.horizonSeconds > 0 ? `, ${s.reason.horizonSeconds} s ahead` : '';
      out.push(`    why: ${s.reason.text} [${s.reason.kind}, driver ${s.reason.driver}${horizon}${sizing(s.reason)}]`);
      out.push(forecastLine(s));
      if (s.scorecard !== null) out.push(...scorecardLines(s.scorecard, app.scorecardDelaySeconds));
    }
    if (app.services.length === 0) out.push('  no values (see fallback above)');
  }
  return out.join('\n') + '\n';
}

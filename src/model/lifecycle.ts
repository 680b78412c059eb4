/**
 * The model lifecycle on a volume the adapter watches: a folder per application holding
 *
 *   live               → versions/<id>   (a symlink: the adapter's `model:` path)
 *   versions/<id>/     model folders, written atomically by `train`
 *   data/              the newest collected dataset
 *   retrain.json       the last decision (the adapter exports it in /metrics and `explain`)
 *   retrain-log.jsonl  every decision, appended
 *
 * A candidate becomes live only by one rename of a fresh symlink over `live`, so a reader (or a
 * crash) sees the old model or the new one, never a mix or nothing. Nothing is promoted unless it
 * beats the live model and the baselines on the same held-out window, by the decision loss
 * `evaluate` chooses models by.
 */
import { appendFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../util/index.js';
import { scaleFreePinball, type EvaluationResult } from './evaluation.js';

export const LIVE = 'live';
export const VERSIONS = 'versions';
export const DATA = 'data';
export const DECISION_FILE = 'retrain.json';
export const DECISION_LOG = 'retrain-log.jsonl';

export interface ModelScore {
  /** This model's decision loss ÷ the best tuned baseline's (< 1 beats them all). */
  readonly relativeError: number;
  /** `evaluate`'s decision loss: pinball at 1 − risk of the calibrated look-ahead peak, each target ÷ its mean, summed. */
  readonly decisionLoss: number;
  /** Overall MAE per target, original units (informational; not what decides). */
  readonly mae: Readonly<Record<string, number>>;
}

export interface Scored {
  readonly model: ModelScore;
  readonly baselines: readonly { readonly name: string; readonly decisionLoss: number; readonly mae: Readonly<Record<string, number>> }[];
}

/**
 * An evaluation in the terms the decision uses: the decision loss `evaluate` ranks models by
 * (scaleFreePinball on the scored windows), the model (first) against the best tuned baseline.
 */
export function summarizeScores(result: Pick<EvaluationResult, 'scores' | 'peaks' | 'data' | 'targets' | 'origins'>): Scored {
  const { targets } = result;
  const all = result.scores.map((score, i) => ({
    name: score.name,
    decisionLoss: scaleFreePinball(result.peaks[i]!, result.data, targets, result.origins),
    mae: Object.fromEntries(targets.map((t, k) => [t, score.overall[k]!.mae])),
  }));
  const [model, ...baselines] = all;
  if (model === undefined || baselines.length === 0) throw new Error('an evaluation needs the model and at least one baseline');
  const best = Math.min(...baselines.map((b) => b.decisionLoss));
  return { model: { relativeError: model.decisionLoss / best, decisionLoss: model.decisionLoss, mae: model.mae }, baselines };
}

export interface Verdict {
  readonly promote: boolean;
  readonly reason: string;
}

const r3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/**
 * Promote only a candidate that beats the best tuned baseline (relative decision loss < 1) and the
 * live model by at least `minImprovement` (0.02 = 2 % lower). Without a usable live model, beating
 * the baselines is enough. Non-finite scores never win.
 */
export function judge(candidate: ModelScore, live: ModelScore | null, minImprovement: number): Verdict {
  const c = candidate.relativeError;
  if (!Number.isFinite(c)) return { promote: false, reason: `the candidate's error is not finite (${c}); kept the live model` };
  if (c >= 1) return { promote: false, reason: `the candidate does not beat the best baseline (relative error ${r3(c)} ≥ 1); kept the live model` };
  if (live === null) return { promote: true, reason: `no usable live model; the candidate beats the best baseline (relative error ${r3(c)} < 1)` };
  const bar = live.relativeError * (1 - minImprovement);
  if (Number.isFinite(live.relativeError) && c >= bar) {
    return {
      promote: false,
      reason: `the candidate (relative error ${r3(c)}) does not beat the live model (${r3(live.relativeError)}${minImprovement > 0 ? ` less ${minImprovement * 100}%` : ''}); kept the live model`,
    };
  }
  return { promote: true, reason: `the candidate (relative error ${r3(c)}) beats the live model (${r3(live.relativeError)}) and the best baseline` };
}

/** The version `live` points at, or null when there is no live model (or it is not a symlink). */
export function liveVersion(modelsDir: string): string | null {
  const live = join(modelsDir, LIVE);
  try {
    if (!lstatSync(live).isSymbolicLink()) return null;
    return basename(readlinkSync(live));
  } catch {
    return null;
  }
}

/**
 * Points `live` at `versions/<version>` in one rename. A `live` that is a plain folder (a model
 * copied there by hand) is first moved into versions/, the one step that is not atomic: the
 * adapter keeps its loaded model if it polls in between.
 */
export function promote(modelsDir: string, version: string): void {
  const target = join(modelsDir, VERSIONS, version);
  if (!existsSync(join(target, 'model.json'))) throw new Error(`cannot promote ${target}: it holds no model.json`);
  const live = join(modelsDir, LIVE);
  if (existsSync(live) && !lstatSync(live).isSymbolicLink()) {
    renameSync(live, join(modelsDir, VERSIONS, `adopted-${Date.now()}`));
  }
  const tmp = join(modelsDir, `.${LIVE}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  symlinkSync(join(VERSIONS, version), tmp);
  try {
    renameSync(tmp, live);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot point ${live} at ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/** A new version name that sorts by time. */
export function newVersion(now = new Date()): string {
  return (
    now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z') +
    '-' +
    randomBytes(2).toString('hex')
  );
}

/**
 * Removes what a crashed run left (temporary folders and links) and old versions: the live one and
 * the newest `keep` stay.
 */
export function prune(modelsDir: string, keep: number): string[] {
  const removed: string[] = [];
  for (const name of existsSync(modelsDir) ? readdirSync(modelsDir) : []) {
    if (name.startsWith('.') && name.includes('.tmp-')) {
      rmSync(join(modelsDir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  const versionsDir = join(modelsDir, VERSIONS);
  if (!existsSync(versionsDir)) return removed;
  const live = liveVersion(modelsDir);
  const names = readdirSync(versionsDir).sort();
  const leftovers = names.filter((n) => n.startsWith('.'));
  const versions = names.filter((n) => !n.startsWith('.'));
  const old = versions.slice(0, Math.max(0, versions.length - keep)).filter((n) => n !== live);
  for (const name of [...leftovers, ...old]) {
    rmSync(join(versionsDir, name), { recursive: true, force: true });
    removed.push(join(VERSIONS, name));
  }
  return removed;
}

export interface RetrainDecision {
  readonly app: string;
  /** ISO time the decision was made. */
  readonly at: string;
  readonly promoted: boolean;
  readonly reason: string;
  readonly candidate: { readonly version: string; readonly score: ModelScore } | null;
  readonly live: { readonly version: string | null; readonly score: ModelScore | null; readonly error?: string };
  readonly baselines: Scored['baselines'];
  /** The held-out window both models were scored on (dataset steps and times). */
  readonly window: { readonly startStep: number; readonly endStep: number; readonly from: string; readonly to: string } | null;
  /** Set when the run failed before a decision (the live model stays). */
  readonly error?: string;
  readonly seconds: number;
}

/** Writes the decision atomically and appends it to the log. */
export function recordDecision(modelsDir: string, decision: RetrainDecision): void {
  mkdirSync(modelsDir, { recursive: true });
  writeFileAtomic(join(modelsDir, DECISION_FILE), JSON.stringify(decision, null, 1) + '\n');
  appendFileSync(join(modelsDir, DECISION_LOG), JSON.stringify(decision) + '\n');
}

/** The last decision beside a model path (`<models>/live` → `<models>/retrain.json`); null when there is none or it is unreadable. */
export function readDecisionBeside(modelPath: string): RetrainDecision | null {
  try {
    const decision = JSON.parse(readFileSync(join(dirname(modelPath), DECISION_FILE), 'utf8')) as RetrainDecision;
    return typeof decision.promoted === 'boolean' && typeof decision.at === 'string' ? decision : null;
  } catch {
    return null;
  }
}

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
 * beats the live model and the baselines on the same held-out window.
 */
import { appendFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../util/index.js';
import type { ForecasterScore } from './evaluation.js';

export const LIVE = 'live';
export const VERSIONS = 'versions';
export const DATA = 'data';
export const DECISION_FILE = 'retrain.json';
export const DECISION_LOG = 'retrain-log.jsonl';

export interface ModelScore {
  /** Mean over targets of this model's MAE ÷ the best baseline's MAE on that target (< 1 beats them). */
  readonly relativeError: number;
  /** Overall MAE per target, original units. */
  readonly mae: Readonly<Record<string, number>>;
}

export interface Scored {
  readonly model: ModelScore;
  readonly baselines: readonly { readonly name: string; readonly mae: Readonly<Record<string, number>> }[];
}

/**
 * The candidate's evaluation in the terms the decision uses. `scores` is evaluateModel's list:
 * the model first, then the baselines, all on the same windows.
 */
export function summarizeScores(scores: readonly ForecasterScore[], targets: readonly string[]): Scored {
  const [model, ...baselines] = scores;
  if (model === undefined || baselines.length === 0) throw new Error('an evaluation needs the model and at least one baseline');
  const maeOf = (s: ForecasterScore): Record<string, number> => Object.fromEntries(targets.map((t, k) => [t, s.overall[k]!.mae]));
  const ratios = targets.map((_, k) => model.overall[k]!.mae / Math.min(...baselines.map((b) => b.overall[k]!.mae)));
  return {
    model: { relativeError: ratios.reduce((a, b) => a + b, 0) / ratios.length, mae: maeOf(model) },
    baselines: baselines.map((b) => ({ name: b.name, mae: maeOf(b) })),
  };
}

export interface Verdict {
  readonly promote: boolean;
  readonly reason: string;
}

const r3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/**
 * Promote only a candidate that beats the best baseline (relative error < 1) and the live model by
 * at least `minImprovement` (0.02 = 2 % lower relative error). Without a usable live model, beating
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

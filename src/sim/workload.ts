/**
 * Workloads: external request rates at the entry service, from the shipped trace formats.
 *  - `*.csv`: `YYYY-MM-DD HH:MM:SS,<requests per minute>` (WorldCup98), or a `minute,requests`
 *    header and one `<minute>,<requests in that minute>` row per minute → requests/s = count / 60.
 *  - `*.req`: one integer per 5 s, the number of concurrent Locust users; each user waits
 *    `thinkSeconds` (1 s) between requests, so the offered rate is users / think time (the
 *    response time is left out of the loop: the trace is an open-loop arrival rate here).
 * The trace is resampled linearly to the simulation step, scaled so its peak is `peak` requests/s,
 * and optionally multiplied by seeded noise.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createRandom, deriveSeed } from '../util/index.js';

export interface Trace {
  /** Where it came from, for reports. */
  readonly name: string;
  readonly stepSeconds: number;
  /** Requests/s per trace step. */
  readonly rates: Float64Array;
}

export const REQ_TRACE_STEP_SECONDS = 5;
export const DEFAULT_THINK_SECONDS = 1;

export function parseWorldCupCsv(text: string, origin: string): Trace {
  const rates: number[] = [];
  let previous: number | null = null;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const [stamp, count] = line.split(',');
    const when = Date.parse(`${stamp?.replace(' ', 'T')}Z`);
    const value = Number(count);
    if (!Number.isFinite(when) || count === undefined || !Number.isFinite(value) || value < 0) {
      throw new Error(`${origin}:${i + 1}: expected "YYYY-MM-DD HH:MM:SS,<requests per minute>", got "${line}"`);
    }
    if (previous !== null && when - previous !== 60_000)
      throw new Error(`${origin}:${i + 1}: rows must be one minute apart (got ${(when - previous) / 1000} s)`);
    previous = when;
    rates.push(value / 60);
  }
  if (rates.length < 2) throw new Error(`${origin}: a trace needs at least two rows`);
  return { name: origin, stepSeconds: 60, rates: Float64Array.from(rates) };
}

/** `minute,requests` with a header; minutes consecutive from any start. */
export function parseMinuteCsv(text: string, origin: string): Trace {
  const lines = text.split('\n').map((l) => l.trim());
  const header = lines[0]
    ?.replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/\s/g, '');
  if (header !== 'minute,requests') throw new Error(`${origin}:1: expected the header "minute,requests", got "${lines[0] ?? ''}"`);
  const rates: number[] = [];
  let previous: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const [minuteText, countText] = line.split(',');
    const minute = Number(minuteText);
    const count = Number(countText);
    if (countText === undefined || !Number.isInteger(minute) || !Number.isFinite(count) || count < 0) {
      throw new Error(`${origin}:${i + 1}: expected "<minute>,<requests>" (whole minute, count ≥ 0), got "${line}"`);
    }
    if (previous !== null && minute !== previous + 1) throw new Error(`${origin}:${i + 1}: minutes must be consecutive (${previous} then ${minute})`);
    previous = minute;
    rates.push(count / 60);
  }
  if (rates.length < 2) throw new Error(`${origin}: a trace needs at least two rows`);
  return { name: origin, stepSeconds: 60, rates: Float64Array.from(rates) };
}

export function parseUsersTrace(text: string, origin: string, thinkSeconds = DEFAULT_THINK_SECONDS): Trace {
  const rates: number[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const users = Number(line);
    if (!Number.isFinite(users) || users < 0) throw new Error(`${origin}:${i + 1}: expected a user count, got "${line}"`);
    rates.push(users / thinkSeconds);
  }
  if (rates.length < 2) throw new Error(`${origin}: a trace needs at least two rows`);
  return { name: origin, stepSeconds: REQ_TRACE_STEP_SECONDS, rates: Float64Array.from(rates) };
}

export function loadTrace(path: string, thinkSeconds = DEFAULT_THINK_SECONDS): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read trace ${path}: ${(err as Error).message}`, { cause: err });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return /^\uFEFF?\s*minute\s*,/i.test(text) ? parseMinuteCsv(text, path) : parseWorldCupCsv(text, path);
  if (ext === '.req') return parseUsersTrace(text, path, thinkSeconds);
  throw new Error(`trace ${path}: unknown format "${ext}" (expected .csv per-minute counts or .req concurrent users)`);
}

export interface WorkloadOptions {
  readonly stepSeconds: number;
  /** Simulated length; a shorter trace is replayed in a loop (as the seed's load generator does). */
  readonly durationSeconds: number;
  /** Where in the trace to start. */
  readonly offsetSeconds?: number;
  /** Requests/s at the trace's peak (over the part used). */
  readonly peak: number;
  /** Standard deviation of multiplicative Gaussian noise per step (0 = none). */
  readonly noise?: number;
  readonly seed?: number;
}

/** Requests/s per simulation step: resampled, looped, scaled to `peak`, with optional noise. */
export function buildWorkload(trace: Trace, options: WorkloadOptions): Float64Array {
  const { stepSeconds, durationSeconds, peak } = options;
  if (!(stepSeconds > 0)) throw new Error(`workload step must be positive, got ${stepSeconds}`);
  if (!(durationSeconds >= stepSeconds)) throw new Error(`workload duration must be at least one step (${stepSeconds} s), got ${durationSeconds}`);
  if (!(peak > 0)) throw new Error(`workload peak must be positive, got ${peak}`);
  const steps = Math.floor(durationSeconds / stepSeconds);
  const period = trace.rates.length * trace.stepSeconds;
  const offset = options.offsetSeconds ?? 0;
  const out = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    // Sample in the middle of the step; looping wraps around the end of the trace.
    const at = (((offset + (t + 0.5) * stepSeconds) % period) + period) % period;
    const position = at / trace.stepSeconds - 0.5;
    const i = Math.max(0, Math.floor(position));
    const j = Math.min(trace.rates.length - 1, i + 1);
    const w = Math.min(1, Math.max(0, position - i));
    out[t] = trace.rates[i]! * (1 - w) + trace.rates[j]! * w;
  }
  let max = 0;
  for (const r of out) max = Math.max(max, r);
  if (max <= 0) throw new Error(`${trace.name}: the trace is all zeros over the simulated window`);
  const noise = options.noise ?? 0;
  const random = createRandom(deriveSeed(options.seed ?? 1, 'workload-noise'));
  for (let t = 0; t < steps; t++) {
    const factor = noise > 0 ? Math.max(0, 1 + noise * random.normal()) : 1;
    out[t] = (out[t]! / max) * peak * factor;
  }
  return out;
}

/**
 * When an application steps and what history it starts with. A live source (Prometheus) steps with
 * the wall clock, once per data step. A replay steps `speed` times faster: the ReplaySource maps
 * wall-clock time to a recorded step and stamps frames on its own clock, one step apart.
 */
import type { MetricsSource } from '../core/index.js';
import type { SourcePace } from '../sources/index.js';

export interface Timeline {
  /** Wall-clock milliseconds between steps. */
  readonly intervalMs: number;
  /**
   * How old the newest data is when a step reads it, in seconds: a live source's steps sit on the
   * epoch-aligned grid `settleMs` after each step's timestamp, so that old; a replay's clock is its
   * own (0). A constant of the timeline, not each step's measured age, so that the plan reads the
   * same number of forecast steps on every replica and at every step (the calibration's look-ahead).
   */
  readonly dataAgeSeconds: number;
  /** The wall-clock range to read into history at start-up (MetricsSource.range), or null for none. */
  warmup(wallNow: number): { start: number; end: number } | null;
  /**
   * Steps after the first sit on the wall-clock grid k × intervalMs + gridOffsetMs: epoch-aligned,
   * so every process on the same source steps at the same moments. Absent: a grid from the first step.
   */
  readonly gridOffsetMs?: number;
}

/** How early a step's timer may fire and still count as its grid slot (see gridSlot). */
const EARLY_TIMER_TOLERANCE_MS = 50;

/**
 * The slot of the grid `origin + k × intervalMs` that `wallNow` belongs to. A timer can fire a
 * moment before its slot (timers and the wall clock round differently); counted in the previous
 * slot, that step would read the previous data step and the next timer would fire again a
 * millisecond later, so a replica would read one data step twice and skip one the others read.
 */
export function gridSlot(wallNow: number, origin: number, intervalMs: number): number {
  return origin + Math.floor((wallNow - origin + EARLY_TIMER_TOLERANCE_MS) / intervalMs) * intervalMs;
}

/**
 * How long after a step's timestamp its data is read: Prometheus has ingested the scrapes up to
 * that moment by then, so two replicas reading the step at slightly different times read the same
 * values. A third of the step, at most 10 s (the lag it adds is counted in the prediction age).
 */
export function settleMs(stepSeconds: number): number {
  return Math.min(10_000, (stepSeconds * 1000) / 3);
}

export function liveTimeline(stepSeconds: number, warmupSteps: number, dataAgeSeconds = settleMs(stepSeconds) / 1000): Timeline {
  const stepMs = stepSeconds * 1000;
  return {
    intervalMs: stepMs,
    dataAgeSeconds,
    warmup: (wallNow) => (warmupSteps > 0 ? { start: wallNow - warmupSteps * stepMs, end: wallNow - stepMs } : null),
    gridOffsetMs: settleMs(stepSeconds),
  };
}

/** A live source whose frames are read `delayMs` in the past: only settled data (see settleMs). */
export function settled(source: MetricsSource, delayMs: number): MetricsSource {
  return {
    services: source.services,
    features: source.features,
    stepSeconds: source.stepSeconds,
    frame: (t) => source.frame(t - delayMs),
    range: (start, end, onProgress) => source.range(start - delayMs, end - delayMs, onProgress),
    close: () => source.close(),
  };
}

/**
 * A replay or simulation anchored at `anchorMs` (when its first live step is served), one step per
 * `intervalMs` of wall clock: the `warmupSteps` steps before the anchor are read at start-up.
 */
export function acceleratedTimeline(anchorMs: number, intervalMs: number, warmupSteps: number): Timeline {
  return {
    intervalMs,
    dataAgeSeconds: 0,
    warmup: () => (warmupSteps > 0 ? { start: anchorMs - warmupSteps * intervalMs, end: anchorMs - 1 } : null),
  };
}

/** The timeline a source asked for when it opened. */
export function timelineFor(pace: SourcePace, stepSeconds: number): Timeline {
  return pace.kind === 'live' ? liveTimeline(stepSeconds, pace.warmupSteps) : acceleratedTimeline(pace.anchorMs, pace.intervalMs, pace.warmupSteps);
}

/**
 * When an application steps and what history it starts with. A live source (Prometheus) steps with
 * the wall clock, once per data step. A replay steps `speed` times faster: the ReplaySource maps
 * wall-clock time to a recorded step and stamps frames on its own clock, one step apart.
 */
import type { Frame } from '../sources/index.js';
import type { SourcePace } from '../sources/registry.js';

export interface Timeline {
  /** Wall-clock milliseconds between steps. */
  readonly intervalMs: number;
  /** Seconds the data of a frame received now already lags behind (0 for a replay: its clock is its own). */
  lagSeconds(frame: Frame, wallNow: number): number;
  /** The wall-clock range to read into history at start-up (MetricsSource.range), or null for none. */
  warmup(wallNow: number): { start: number; end: number } | null;
}

export function liveTimeline(stepSeconds: number, warmupSteps: number): Timeline {
  const stepMs = stepSeconds * 1000;
  return {
    intervalMs: stepMs,
    lagSeconds: (frame, wallNow) => Math.max(0, (wallNow - frame.timestamp) / 1000),
    warmup: (wallNow) => (warmupSteps > 0 ? { start: wallNow - warmupSteps * stepMs, end: wallNow - stepMs } : null),
  };
}

/**
 * A replay or simulation anchored at `anchorMs` (when its first live step is served), one step per
 * `intervalMs` of wall clock: the `warmupSteps` steps before the anchor are read at start-up.
 */
export function acceleratedTimeline(anchorMs: number, intervalMs: number, warmupSteps: number): Timeline {
  return {
    intervalMs,
    lagSeconds: () => 0,
    warmup: () => (warmupSteps > 0 ? { start: anchorMs - warmupSteps * intervalMs, end: anchorMs - 1 } : null),
  };
}

/** The timeline a source asked for when it opened. */
export function timelineFor(pace: SourcePace, stepSeconds: number): Timeline {
  return pace.kind === 'live' ? liveTimeline(stepSeconds, pace.warmupSteps) : acceleratedTimeline(pace.anchorMs, pace.intervalMs, pace.warmupSteps);
}

/**
 * History: the last frames of one application in a ring buffer, enough for a forecaster's input
 * window. Gaps stay NaN; a missing step (the source skipped it) is recorded as an all-NaN frame so
 * that positions in the window are always whole steps apart.
 */
import type { Feature, Frame } from '../core/index.js';

export interface HistoryWindow {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  /** Epoch ms per step, oldest first, length T. */
  readonly timestamps: Float64Array;
  /** Row-major [T, N, F], oldest first; NaN marks a gap. */
  readonly values: Float32Array;
}

export class History {
  private readonly frameSize: number;
  private readonly buffer: Float32Array;
  private readonly stamps: Float64Array;
  private count = 0;
  private next = 0;

  constructor(
    readonly services: readonly string[],
    readonly features: readonly Feature[],
    readonly stepSeconds: number,
    readonly capacity: number,
  ) {
    if (capacity < 1) throw new Error(`history capacity must be at least 1, got ${capacity}`);
    this.frameSize = services.length * features.length;
    this.buffer = new Float32Array(capacity * this.frameSize);
    this.stamps = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get latestTimestamp(): number | null {
    return this.count === 0 ? null : this.stamps[(this.next - 1 + this.capacity) % this.capacity]!;
  }

  /**
   * Appends a frame. A frame at or before the latest is ignored (a replayed or retried step);
   * whole steps missing in between are filled with gaps.
   */
  push(frame: Frame): void {
    const latest = this.latestTimestamp;
    const stepMs = this.stepSeconds * 1000;
    if (latest !== null) {
      if (frame.timestamp <= latest) return;
      const missing = Math.min(this.capacity, Math.round((frame.timestamp - latest) / stepMs) - 1);
      for (let k = 1; k <= missing; k++) this.append(latest + k * stepMs, null);
    }
    this.append(frame.timestamp, frame);
  }

  private append(timestamp: number, frame: Frame | null): void {
    const offset = this.next * this.frameSize;
    if (frame === null) {
      this.buffer.fill(Number.NaN, offset, offset + this.frameSize);
    } else {
      // Frames may list services/features in another order than the history: map by name.
      const nf = this.features.length;
      for (let s = 0; s < this.services.length; s++) {
        const fs = frame.services.indexOf(this.services[s]!);
        for (let f = 0; f < nf; f++) {
          const ff = frame.features.indexOf(this.features[f]!);
          this.buffer[offset + s * nf + f] = fs < 0 || ff < 0 ? Number.NaN : frame.values[fs * frame.features.length + ff]!;
        }
      }
    }
    this.stamps[this.next] = timestamp;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /**
   * `steps` frames, oldest first, ending `back` frames before the newest (0: the newest `steps`);
   * null unless that many exist.
   */
  window(steps: number, back = 0): HistoryWindow | null {
    if (steps + back > this.count || steps < 1 || back < 0) return null;
    const values = new Float32Array(steps * this.frameSize);
    const timestamps = new Float64Array(steps);
    for (let k = 0; k < steps; k++) {
      const slot = (this.next - back - steps + k + 2 * this.capacity) % this.capacity;
      values.set(this.buffer.subarray(slot * this.frameSize, (slot + 1) * this.frameSize), k * this.frameSize);
      timestamps[k] = this.stamps[slot]!;
    }
    return { services: this.services, features: this.features, stepSeconds: this.stepSeconds, timestamps, values };
  }
}

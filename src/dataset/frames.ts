/**
 * Between frames (what sources yield, one timestamp each) and datasets (a [T, N, F] block): a
 * dataset row is exactly a frame's values, so both directions are copies of contiguous slices.
 */
import type { Frame } from '../core/index.js';
import { DatasetError } from './errors.js';
import type { Dataset } from './index.js';

/** Step `t` of the dataset as a frame stamped `timestamp`. */
export function datasetFrame(ds: Dataset, t: number, timestamp: number): Frame {
  const size = ds.services.length * ds.features.length;
  return { timestamp, services: ds.services, features: ds.features, values: ds.values.slice(t * size, (t + 1) * size) };
}

/**
 * Frames one step apart (as `MetricsSource.range` yields them) as a dataset. Every frame must have
 * the services and features of the first, and timestamps exactly `stepSeconds` apart.
 */
export function framesToDataset(frames: readonly Frame[], stepSeconds: number): Dataset {
  const first = frames[0];
  if (first === undefined) throw new DatasetError('no frames to make a dataset from');
  const size = first.services.length * first.features.length;
  const values = new Float32Array(frames.length * size);
  frames.forEach((frame, t) => {
    const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(frame.services, first.services) || !same(frame.features, first.features)) {
      throw new DatasetError(`frame ${t} (${new Date(frame.timestamp).toISOString()}) has other services or features than the first`);
    }
    const expected = first.timestamp + t * stepSeconds * 1000;
    if (frame.timestamp !== expected) {
      throw new DatasetError(
        `frame ${t} is at ${new Date(frame.timestamp).toISOString()}, expected ${new Date(expected).toISOString()} (step ${stepSeconds} s)`,
      );
    }
    values.set(frame.values, t * size);
  });
  return { services: first.services, features: first.features, stepSeconds, startMs: first.timestamp, length: frames.length, values };
}

/**
 * Chronological splits and mini-batches. A window at origin t reads steps t − T_in + 1 … t and
 * predicts t + 1 … t + H; it belongs to the split that holds all of its targets, so no target is
 * ever seen in training that is scored in validation or test (inputs may reach back earlier,
 * as they would in production).
 */
export interface SplitBounds {
  /** Steps [0, trainEnd) train, [trainEnd, valEnd) validate, [valEnd, length) test. */
  readonly trainEnd: number;
  readonly valEnd: number;
  readonly length: number;
}

export interface WindowSplits {
  readonly bounds: SplitBounds;
  readonly train: number[];
  readonly val: number[];
  readonly test: number[];
}

export function splitBounds(length: number, trainFraction: number, valFraction: number): SplitBounds {
  return { trainEnd: Math.floor(length * trainFraction), valEnd: Math.floor(length * (trainFraction + valFraction)), length };
}

/** Origins whose H targets all lie in [start, end) and whose inputs start at step ≥ 0. */
export function originsBetween(start: number, end: number, inputSteps: number, horizon: number): number[] {
  const origins: number[] = [];
  for (let t = Math.max(start - 1, inputSteps - 1); t + horizon < end; t++) origins.push(t);
  return origins;
}

export function chronologicalSplits(bounds: SplitBounds, inputSteps: number, horizon: number): WindowSplits {
  const splits = {
    bounds,
    train: originsBetween(0, bounds.trainEnd, inputSteps, horizon),
    val: originsBetween(bounds.trainEnd, bounds.valEnd, inputSteps, horizon),
    test: originsBetween(bounds.valEnd, bounds.length, inputSteps, horizon),
  };
  for (const name of ['train', 'val', 'test'] as const) {
    if (splits[name].length === 0) {
      throw new Error(
        `the ${name} split has no complete window (dataset ${bounds.length} steps, split at ${bounds.trainEnd}/${bounds.valEnd}, ` +
          `window ${inputSteps} in + ${horizon} out): use more data or a shorter window`,
      );
    }
  }
  return splits;
}

export interface Batch {
  /** [N, B, T_in, F] standardized inputs, gaps as 0 (the training mean). */
  readonly x: Float32Array;
  /** [N, B, H, K] standardized targets, gaps as 0. */
  readonly y: Float32Array;
  /** [N, B, H, K]: 1 where the target is known, 0 at a gap (left out of the loss). */
  readonly mask: Float32Array;
  readonly size: number;
}

export interface WindowShape {
  readonly nodes: number;
  readonly features: number;
  readonly inputSteps: number;
  readonly horizon: number;
  /** Feature positions of the K targets. */
  readonly targetIndex: readonly number[];
}

/** Cuts the windows at `origins` out of standardized [T, N, F] values into node-major tensors. */
export function buildBatch(z: Float32Array, origins: readonly number[], shape: WindowShape): Batch {
  const { nodes: n, features: nf, inputSteps: ti, horizon: h, targetIndex } = shape;
  const b = origins.length;
  const k = targetIndex.length;
  const x = new Float32Array(n * b * ti * nf);
  const y = new Float32Array(n * b * h * k);
  const mask = new Float32Array(n * b * h * k);
  origins.forEach((origin, bi) => {
    for (let s = 0; s < n; s++) {
      for (let t = 0; t < ti; t++) {
        const src = ((origin - ti + 1 + t) * n + s) * nf;
        const dst = ((s * b + bi) * ti + t) * nf;
        for (let f = 0; f < nf; f++) {
          const v = z[src + f]!;
          x[dst + f] = Number.isNaN(v) ? 0 : v;
        }
      }
      for (let step = 0; step < h; step++) {
        const src = ((origin + 1 + step) * n + s) * nf;
        const dst = ((s * b + bi) * h + step) * k;
        targetIndex.forEach((f, j) => {
          const v = src + f < z.length ? z[src + f]! : Number.NaN;
          y[dst + j] = Number.isNaN(v) ? 0 : v;
          mask[dst + j] = Number.isNaN(v) ? 0 : 1;
        });
      }
    }
  });
  return { x, y, mask, size: b };
}

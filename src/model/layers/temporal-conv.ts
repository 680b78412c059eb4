/**
 * Temporal convolution over the time axis, kernel k, 'same' length, built as k time shifts
 * concatenated on the channel axis and one 2-D matMul: wasm has no weight gradient for conv1d/2d.
 *   out[t] = Σ_o x[t + o − ⌊k/2⌋] · W_o + b   (zero outside the window)
 * Layout: x is [N, B, T, C].
 */
import { tf } from '../backend.js';
import { dense, type ParamStore } from '../ops.js';

/** The k shifted copies of x, concatenated on channels: [N, B, T, k·C]. */
export function timeShifts(x: tf.Tensor4D, kernel: number): tf.Tensor4D {
  return tf.tidy(() => {
    const t = x.shape[2];
    const before = Math.floor(kernel / 2);
    const padded = tf.pad(x, [
      [0, 0],
      [0, 0],
      [before, kernel - 1 - before],
      [0, 0],
    ]);
    const shifts = Array.from({ length: kernel }, (_, o) => tf.slice(padded, [0, 0, o, 0], [-1, -1, t, -1]));
    return tf.concat(shifts, 3);
  });
}

export class TemporalConv {
  private readonly weight: tf.Variable; // [k·C, D]
  private readonly bias: tf.Variable; // [D]

  constructor(
    params: ParamStore,
    name: string,
    inChannels: number,
    outChannels: number,
    readonly kernel: number,
  ) {
    this.weight = params.create(`${name}/weight`, [kernel * inChannels, outChannels]);
    this.bias = params.create(`${name}/bias`, [outChannels], 'zeros');
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => dense(timeShifts(x, this.kernel), this.weight, this.bias));
  }
}

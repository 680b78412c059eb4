/**
 * ASTGCN temporal attention (AdapGLA's first step in each block): a T×T mixing over time steps,
 *   E = softmax_i(V · σ((Xᵀ U1) U2 (U3 X) + b_e)),   X_out[:, :, j] = Σ_i X[:, :, i] · E[i, j]
 * so each output step is a convex combination of the input steps, weighted per sample.
 * Layout: x is [N, B, T, C] (node-major, see predictor.ts).
 */
import { tf } from '../backend.js';
import { matMul2d, type ParamStore } from '../ops.js';

export class TemporalAttention {
  private readonly u1: tf.Variable; // [N, 1]
  private readonly u2: tf.Variable; // [C, N]
  private readonly u3: tf.Variable; // [C, 1]
  private readonly v: tf.Variable; // [T, T]
  private readonly be: tf.Variable; // [T, T]

  constructor(params: ParamStore, name: string, nodes: number, steps: number, channels: number) {
    this.u1 = params.create(`${name}/u1`, [nodes, 1]);
    this.u2 = params.create(`${name}/u2`, [channels, nodes]);
    this.u3 = params.create(`${name}/u3`, [channels, 1]);
    this.v = params.create(`${name}/v`, [steps, steps]);
    this.be = params.create(`${name}/be`, [steps, steps], 'zeros');
  }

  /** The attention matrices E, [B, T, T], columns summing to 1. */
  weights(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, b, t, c] = x.shape;
      // lhs[b, t, :] = (Σ_n U1[n] X[n, b, t, :]) · U2  → [B, T, N]
      const pooledNodes = matMul2d(tf.transpose(this.u1), tf.reshape(x, [n, b * t * c]));
      const lhs = tf.reshape(matMul2d(tf.reshape(pooledNodes, [b * t, c]), this.u2), [b, t, n]);
      // rhs[b, :, t] = X[:, b, t, :] · U3  → [B, N, T]
      const rhs = tf.transpose(tf.reshape(matMul2d(tf.reshape(x, [n * b * t, c]), this.u3), [n, b, t]), [1, 0, 2]);
      const scores = tf.sigmoid(tf.add(tf.matMul(lhs, rhs), this.be)); // [B, T(i), T(j)]
      // V · S_b for every b as one 2-D matMul: S as [T(k), B·T(j)].
      const mixed = matMul2d(this.v, tf.reshape(tf.transpose(scores, [1, 0, 2]), [t, b * t]));
      const e = tf.transpose(tf.reshape(mixed, [t, b, t]), [1, 0, 2]); // [B, T(i), T(j)]
      return tf.transpose(tf.softmax(tf.transpose(e, [0, 2, 1])), [0, 2, 1]) as tf.Tensor3D; // softmax over i
    });
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, b, t, c] = x.shape;
      const e = this.weights(x);
      const series = tf.reshape(tf.transpose(x, [1, 0, 3, 2]), [b, n * c, t]); // [B, N·C, T]
      return tf.transpose(tf.reshape(tf.matMul(series, e), [b, n, c, t]), [1, 0, 3, 2]);
    });
  }
}

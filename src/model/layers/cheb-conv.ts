/**
 * Bidirectional Chebyshev graph convolution, K = 3 (AdapGLA): with the graph A and, separately,
 * its transpose (so a service hears both its callers and its callees),
 *   T0 = X,  T1 = A·X,  T2 = 2·A·T1 − T0,   out = ReLU([T0 T1 T2]·Θ  ‖  [T0 T1' T2']·Θ')
 * Layout: x is [N, B, T, C], so A·X is one 2-D matMul of [N, N] by [N, B·T·C].
 */
import { tf } from '../backend.js';
import { dense, matMul2d, type ParamStore } from '../ops.js';

/** [T0, T1, T2] for graph A, each shaped like x. */
export function chebyshevTerms(graph: tf.Tensor2D, x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [n, b, t, c] = x.shape;
  const t0 = tf.reshape(x, [n, b * t * c]);
  const t1 = matMul2d(graph, t0);
  const t2 = tf.sub(tf.mul(matMul2d(graph, t1), 2), t0);
  return [x, tf.reshape(t1, x.shape), tf.reshape(t2, x.shape)];
}

export class ChebConv {
  private readonly forward: tf.Variable; // Θ for A:  [3C, G]
  private readonly backward: tf.Variable; // Θ' for Aᵀ: [3C, G]
  private readonly bias: tf.Variable; // [2G]

  constructor(params: ParamStore, name: string, inChannels: number, outChannelsPerDirection: number) {
    this.forward = params.create(`${name}/theta`, [3 * inChannels, outChannelsPerDirection]);
    this.backward = params.create(`${name}/theta_t`, [3 * inChannels, outChannelsPerDirection]);
    this.bias = params.create(`${name}/bias`, [2 * outChannelsPerDirection], 'zeros');
  }

  /** [N, B, T, C] → [N, B, T, 2G]. */
  apply(graph: tf.Tensor2D, x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const along = dense(tf.concat(chebyshevTerms(graph, x), 3), this.forward);
      const against = dense(tf.concat(chebyshevTerms(tf.transpose(graph), x), 3), this.backward);
      return tf.relu(tf.add(tf.concat([along, against], 3), this.bias)) as tf.Tensor4D;
    });
  }
}

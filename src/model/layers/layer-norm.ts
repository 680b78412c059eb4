/** Layer normalization over the channel (last) axis with a learned scale and shift. */
import { tf } from '../backend.js';
import type { ParamStore } from '../ops.js';

export class LayerNorm {
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;

  constructor(
    params: ParamStore,
    name: string,
    channels: number,
    private readonly epsilon = 1e-5,
  ) {
    this.gamma = params.create(`${name}/gamma`, [channels], 'ones');
    this.beta = params.create(`${name}/beta`, [channels], 'zeros');
  }

  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const { mean, variance } = tf.moments(x, axis, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon))), this.gamma), this.beta) as T;
    });
  }
}

/**
 * The AdapGLA spatiotemporal predictor: stacked blocks (temporal attention, bidirectional
 * Chebyshev graph convolution, temporal convolution, residual, LayerNorm), then a readout that maps
 * each node's (time × channels) to its H × K forecast, plus (optionally) a linear autoregressive
 * highway on each target's own history and a linear skip path over the node's whole input window.
 *
 * Layout: node-major [N, B, T, C] throughout, so graph products are single 2-D matMuls
 * ([N, N] · [N, B·T·C]) and channel mixing is [N·B·T, C] · [C, D] — the shapes wasm runs fast.
 */
import { tf } from './backend.js';
import type { ModelConfig } from './config.js';
import { AdapGlaBlock } from './layers/block.js';
import { matMul2d, type ParamStore } from './ops.js';

export const PREDICTOR_PREFIX = 'predictor/';

export class AdapGlaPredictor {
  private readonly blocks: AdapGlaBlock[] = [];
  private readonly readout: tf.Variable;
  private readonly readoutBias: tf.Variable;
  /** Per target k: [T_in, H], started at persistence (weight 1 on the newest step). */
  private readonly autoregressive: tf.Variable[] = [];
  /** [T_in · F, H · K]: the linear skip path over a service's own window, started at zero. */
  private readonly skip: tf.Variable | null = null;

  /** `targetIndex[k]` = position of target k among the input features. */
  constructor(
    params: ParamStore,
    readonly nodes: number,
    readonly inputFeatures: number,
    private readonly targetIndex: readonly number[],
    private readonly config: ModelConfig,
  ) {
    let channels = inputFeatures;
    for (let i = 0; i < config.blocks; i++) {
      this.blocks.push(
        new AdapGlaBlock(params, `${PREDICTOR_PREFIX}block${i}`, {
          nodes,
          steps: config.inputSteps,
          inChannels: channels,
          chebChannels: config.chebChannels,
          timeChannels: config.timeChannels,
          timeKernel: config.timeKernel,
        }),
      );
      channels = config.timeChannels;
    }
    const outputs = config.horizon * targetIndex.length;
    this.readout = params.create(`${PREDICTOR_PREFIX}readout/weight`, [config.inputSteps * channels, outputs]);
    this.readoutBias = params.create(`${PREDICTOR_PREFIX}readout/bias`, [outputs], 'zeros');
    if (config.autoregressive) {
      const persistence = new Float32Array(config.inputSteps * config.horizon);
      persistence.fill(1, (config.inputSteps - 1) * config.horizon);
      targetIndex.forEach((_, k) =>
        this.autoregressive.push(params.create(`${PREDICTOR_PREFIX}readout/ar${k}`, [config.inputSteps, config.horizon], persistence)),
      );
    }
    if (config.linearSkip) this.skip = params.create(`${PREDICTOR_PREFIX}readout/skip`, [config.inputSteps * inputFeatures, outputs], 'zeros');
  }

  /** x: [N, B, T, F] standardized → [N, B, H, K] standardized. */
  apply(graph: tf.Tensor2D, input: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, b, t] = input.shape;
      const k = this.targetIndex.length;
      const level = this.config.centerWindow ? tf.mean(input, 2, true) : null; // [N, B, 1, F]
      const x: tf.Tensor4D = level === null ? input : tf.sub(input, level);
      let h = x;
      for (const block of this.blocks) h = block.apply(graph, h);
      const flat = tf.reshape(h, [n * b, t * h.shape[3]]);
      let readout = tf.add(matMul2d(flat, this.readout), this.readoutBias);
      if (this.skip !== null) readout = tf.add(readout, matMul2d(tf.reshape(x, [n * b, t * x.shape[3]]), this.skip));
      const out: tf.Tensor4D = tf.reshape(readout, [n, b, this.config.horizon, k]);
      const linear = this.autoregressive.map((weights, j) => {
        const history = tf.reshape(tf.slice(x, [0, 0, 0, this.targetIndex[j]!], [-1, -1, -1, 1]), [n * b, t]);
        return tf.reshape(matMul2d(history, weights), [n, b, this.config.horizon, 1]);
      });
      const forecast: tf.Tensor4D = linear.length === 0 ? out : tf.add(out, tf.concat(linear, 3));
      if (level === null) return forecast;
      return tf.add(
        forecast,
        tf.concat(
          this.targetIndex.map((f) => tf.slice(level, [0, 0, 0, f], [-1, -1, 1, 1])),
          3,
        ),
      ) as tf.Tensor4D;
    });
  }
}

/**
 * One AdapGLA block: temporal attention → bidirectional Chebyshev graph convolution → temporal
 * convolution, plus a 1×1 residual of the block's input, then ReLU and LayerNorm.
 * Layout: [N, B, T, C] in, [N, B, T, D] out.
 */
import { tf } from '../backend.js';
import { dense, type ParamStore } from '../ops.js';
import { ChebConv } from './cheb-conv.js';
import { LayerNorm } from './layer-norm.js';
import { TemporalAttention } from './temporal-attention.js';
import { TemporalConv } from './temporal-conv.js';

export interface BlockSizes {
  readonly nodes: number;
  readonly steps: number;
  readonly inChannels: number;
  /** Graph convolution channels per direction (the paper: 64). */
  readonly chebChannels: number;
  /** Temporal convolution channels = the block's output channels (the paper: 128). */
  readonly timeChannels: number;
  /** Temporal convolution kernel (the paper: 5). */
  readonly timeKernel: number;
}

export class AdapGlaBlock {
  private readonly attention: TemporalAttention;
  private readonly graphConv: ChebConv;
  private readonly timeConv: TemporalConv;
  private readonly residual: tf.Variable;
  private readonly residualBias: tf.Variable;
  private readonly norm: LayerNorm;

  constructor(params: ParamStore, name: string, sizes: BlockSizes) {
    this.attention = new TemporalAttention(params, `${name}/attention`, sizes.nodes, sizes.steps, sizes.inChannels);
    this.graphConv = new ChebConv(params, `${name}/cheb`, sizes.inChannels, sizes.chebChannels);
    this.timeConv = new TemporalConv(params, `${name}/time`, 2 * sizes.chebChannels, sizes.timeChannels, sizes.timeKernel);
    this.residual = params.create(`${name}/residual/weight`, [sizes.inChannels, sizes.timeChannels]);
    this.residualBias = params.create(`${name}/residual/bias`, [sizes.timeChannels], 'zeros');
    this.norm = new LayerNorm(params, `${name}/norm`, sizes.timeChannels);
  }

  apply(graph: tf.Tensor2D, x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const attended = this.attention.apply(x);
      const spatial = this.graphConv.apply(graph, attended);
      const temporal = this.timeConv.apply(spatial);
      const shortcut = dense(x, this.residual, this.residualBias);
      return this.norm.apply(tf.relu(tf.add(temporal, shortcut)) as tf.Tensor4D);
    });
  }
}

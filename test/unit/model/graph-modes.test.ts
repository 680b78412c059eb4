import { expect } from 'chai';
import { initBackend, tf } from '../../../src/model/backend.js';
import { DEFAULT_MODEL_CONFIG, type GraphMode } from '../../../src/model/config.js';
import { GnnNetwork, windowShape, type ModelMeta } from '../../../src/model/network.js';
import { startGraphFor } from '../../../src/model/trainer.js';
import { buildBatch } from '../../../src/model/windows.js';
import { ChebConv } from '../../../src/model/layers/cheb-conv.js';
import { ParamStore } from '../../../src/model/ops.js';
import type { CallGraph } from '../../../src/graph/index.js';

const services = ['a', 'b', 'c'];
const calls: CallGraph = { services, edges: [{ from: 'a', to: 'b', weight: 1 }] };
const config = { ...DEFAULT_MODEL_CONFIG, inputSteps: 4, horizon: 2, blocks: 1, chebChannels: 3, timeChannels: 4, embeddingDim: 2, autoregressive: false };
const meta = (graphMode: GraphMode): ModelMeta => ({
  services,
  features: ['req'],
  targets: ['req'],
  stepSeconds: 30,
  config: { ...config, graphMode },
  normalization: { mean: new Float32Array(3), std: new Float32Array(3).fill(1) },
});

/** Forecast of service `s` for a window of 4 steps where only service `poked` gets extra input. */
function forecastOf(network: GnnNetwork, s: number, poked: number | null): number[] {
  const z = Float32Array.from({ length: 5 * 3 }, (_, i) => Math.sin(i) + (poked !== null && i % 3 === poked ? 5 : 0));
  const batch = buildBatch(z, [3], windowShape(network.meta));
  return tf.tidy(() => {
    const y = network.forward(batch).dataSync(); // [N, B=1, H=2, K=1]
    return [y[s * 2]!, y[s * 2 + 1]!];
  });
}

describe('model graph modes', () => {
  before(async () => {
    await initBackend();
  });

  it('the graph mode switches message passing: identity isolates services, the call graph connects a and b', () => {
    const identity = new GnnNetwork(meta('identity'), 1, startGraphFor('identity', calls, services));
    const callGraph = new GnnNetwork(meta('call-graph'), 1, startGraphFor('call-graph', calls, services));
    const learned = new GnnNetwork(meta('learned'), 1, startGraphFor('learned', calls, services));
    // Same weights (same seed): only the graph differs.
    expect(Array.from(startGraphFor('identity', calls, services))).to.deep.equal([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(startGraphFor('call-graph', calls, services))).to.deep.equal(Array.from(startGraphFor('learned', calls, services)));
    // c has no calls in either graph: its forecast is the same; b is called by a: its forecast changes.
    expect(forecastOf(callGraph, 2, null)[0]).to.be.closeTo(forecastOf(identity, 2, null)[0]!, 1e-6);
    expect(Math.abs(forecastOf(callGraph, 1, null)[0]! - forecastOf(identity, 1, null)[0]!)).to.be.above(1e-4);
    // Inside the graph convolution: on the identity graph b's output ignores a's input; on the call graph it does not.
    const params = new ParamStore(2);
    const conv = new ChebConv(params, 'conv', 1, 2);
    const x = tf.randomNormal([3, 1, 2, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const poked = tf.tidy(() => tf.add(x, tf.tensor4d([5, 5, 0, 0, 0, 0], [3, 1, 2, 1])) as tf.Tensor4D);
    const bOut = (mode: GraphMode, input: tf.Tensor4D): number[] =>
      tf.tidy(() =>
        Array.from(
          conv
            .apply(tf.tensor2d(startGraphFor(mode, calls, services), [3, 3]), input)
            .dataSync()
            .slice(4 * 2, 4 * 2 * 2),
        ),
      );
    expect(bOut('identity', poked)).to.deep.equal(bOut('identity', x));
    expect(bOut('call-graph', poked)).to.not.deep.equal(bOut('call-graph', x));
    params.dispose();
    tf.dispose([x, poked]);
    for (const n of [identity, callGraph, learned]) n.dispose();
  });
});

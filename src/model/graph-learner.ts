/**
 * The adaptive graph learner (DeepScaler/AdapGL): node embeddings W1, W2 ∈ R^{N×D} and a bias β
 * give a directed graph, which a learned gate mixes with the current graph before it is
 * sparsified and normalized:
 *
 *   A_n = ReLU(W1·W2ᵀ − W2·W1ᵀ + diag β)
 *   α   = σ(a1·A_n + a2·A_prev + b)
 *   A_m = α ⊙ A_n + (1 − α) ⊙ A_prev
 *   A   = norm(ReLU(norm(A_m) − ε)),  norm(M) = D^{-1/2} M D^{-1/2},  ε = 0.5 / N
 *
 * W1·W2ᵀ − W2·W1ᵀ is antisymmetric, so after the ReLU at most one of i→j and j→i survives.
 */
import { tf } from './backend.js';
import { matMul2d, type ParamStore } from './ops.js';

/** D^{-1/2} M D^{-1/2} with D the row sums (out-degrees); rows that sum to 0 stay 0. */
export function normalizeGraph(m: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const degree = tf.sum(m, 1);
    const inverseRoot = tf.mul(tf.rsqrt(tf.maximum(degree, 1e-12)), tf.step(degree));
    return tf.mul(tf.mul(m, tf.reshape(inverseRoot, [-1, 1])), tf.reshape(inverseRoot, [1, -1]));
  });
}

/** Drops edges below ε = epsilonFactor / N after normalizing, then normalizes what remains. */
export function sparsifyGraph(m: tf.Tensor2D, epsilonFactor = 0.5): tf.Tensor2D {
  return tf.tidy(() => normalizeGraph(tf.relu(tf.sub(normalizeGraph(m), epsilonFactor / m.shape[0])) as tf.Tensor2D));
}

/** Share of the graph's total weight on edges absent from the previous graph (soft, differentiable). */
export function newEdgeShare(graph: tf.Tensor2D, previous: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const absent = tf.sub(1, tf.cast(tf.greater(previous, 0), 'float32'));
    return tf.div(tf.sum(tf.mul(graph, absent)), tf.add(tf.sum(graph), 1e-12));
  });
}

/** The new-edge penalty ReLU(share − δ) / δ: free up to δ of new weight, then linear. */
export function newEdgePenalty(graph: tf.Tensor2D, previous: tf.Tensor2D, delta: number): tf.Scalar {
  return tf.tidy(() => tf.div(tf.relu(tf.sub(newEdgeShare(graph, previous), delta)), delta));
}

export const GRAPH_PREFIX = 'graph/';

export class GraphLearner {
  private readonly w1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly beta: tf.Variable;
  private readonly gate: tf.Variable; // [a1, a2, b]
  private readonly eye: tf.Tensor2D;

  constructor(
    params: ParamStore,
    readonly nodes: number,
    embeddingDim: number,
    private readonly epsilonFactor = 0.5,
  ) {
    this.w1 = params.create(`${GRAPH_PREFIX}w1`, [nodes, embeddingDim]);
    this.w2 = params.create(`${GRAPH_PREFIX}w2`, [nodes, embeddingDim]);
    this.beta = params.create(`${GRAPH_PREFIX}beta`, [nodes], { constant: 0.1 });
    this.gate = params.create(`${GRAPH_PREFIX}gate`, [3], 'zeros');
    this.eye = tf.eye(nodes) as tf.Tensor2D;
  }

  /** The directed graph from the embeddings alone, before gating. */
  embeddingGraph(): tf.Tensor2D {
    return tf.tidy(() => {
      const scores = tf.sub(matMul2d(this.w1, tf.transpose(this.w2)), matMul2d(this.w2, tf.transpose(this.w1)));
      return tf.relu(tf.add(scores, tf.mul(this.eye, tf.reshape(this.beta, [1, -1])))) as tf.Tensor2D;
    });
  }

  /** The next graph given the current one: gated, sparsified, normalized. */
  learn(previous: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const an = this.embeddingGraph();
      const [a1, a2, b] = tf.unstack(this.gate) as [tf.Scalar, tf.Scalar, tf.Scalar];
      const alpha = tf.sigmoid(tf.add(tf.add(tf.mul(an, a1), tf.mul(previous, a2)), b));
      const mixed: tf.Tensor2D = tf.add(tf.mul(alpha, an), tf.mul(tf.sub(1, alpha), previous));
      return sparsifyGraph(mixed, this.epsilonFactor);
    });
  }

  dispose(): void {
    this.eye.dispose();
  }
}

/**
 * The starting graph: the call graph (any weights, directed caller → callee) plus self-loops, so
 * a service with no calls still sees its own past; normalized like every learned graph.
 */
export function initialGraph(callAdjacency: Float32Array, nodes: number): tf.Tensor2D {
  return tf.tidy(() => {
    const calls = tf.tensor2d(callAdjacency, [nodes, nodes]);
    return normalizeGraph(tf.add(tf.cast(tf.greater(calls, 0), 'float32'), tf.eye(nodes)));
  });
}

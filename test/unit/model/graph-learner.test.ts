import { expect } from 'chai';
import { initBackend, tf } from '../../../src/model/backend.js';
import { GraphLearner, initialGraph, newEdgePenalty, normalizeGraph, sparsifyGraph } from '../../../src/model/graph-learner.js';
import { ParamStore } from '../../../src/model/ops.js';

const N = 5;

function jsNormalize(m: number[], n: number): number[] {
  const d = Array.from({ length: n }, (_, i) => m.slice(i * n, (i + 1) * n).reduce((a, b) => a + b, 0));
  const r = d.map((v) => (v > 0 ? 1 / Math.sqrt(v) : 0));
  return m.map((v, k) => v * r[Math.floor(k / n)]! * r[k % n]!);
}

describe('model/graph-learner', () => {
  before(async () => {
    await initBackend();
  });

  it('normalizes as D^-1/2 M D^-1/2 with out-degrees, leaving rows without edges at 0', () => {
    const m = [0, 2, 1, 0, 0, 0, 3, 1, 0]; // row 1 has no out-edges
    const got = Array.from(tf.tidy(() => normalizeGraph(tf.tensor2d(m, [3, 3])).dataSync()));
    const want = jsNormalize(m, 3);
    got.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 1e-6));
    expect(got.every(Number.isFinite)).to.equal(true);
  });

  it('sparsifies by dropping normalized weights below 0.5 / N, then renormalizes', () => {
    const m = [1, 0.01, 0.01, 0.01, 1, 1, 1, 1, 1];
    const got = Array.from(tf.tidy(() => sparsifyGraph(tf.tensor2d(m, [3, 3])).dataSync()));
    const want = jsNormalize(
      jsNormalize(m, 3).map((v) => Math.max(0, v - 0.5 / 3)),
      3,
    );
    got.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 1e-6));
    expect(got.filter((v) => v === 0).length).to.be.greaterThan(0);
  });

  it('learns a directed, sparse, non-negative graph from the embeddings', () => {
    const params = new ParamStore(3);
    const learner = new GraphLearner(params, N, 8);
    const a = tf.tidy(() => learner.learn(tf.zeros([N, N])).dataSync());
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        expect(a[i * N + j]!).to.be.at.least(0);
        if (i !== j && a[i * N + j]! > 0) expect(a[j * N + i], `${i}→${j} and ${j}→${i}`).to.equal(0);
      }
    }
    expect(Array.from(a).filter((v) => v > 0).length).to.be.within(1, N * N - N);
    learner.dispose();
    params.dispose();
  });

  it('the starting graph is the call graph plus self-loops, normalized', () => {
    const calls = new Float32Array(9);
    calls[1] = 5; // 0 → 1 with any weight counts as one edge
    const got = Array.from(tf.tidy(() => initialGraph(calls, 3).dataSync()));
    const want = jsNormalize([1, 1, 0, 0, 1, 0, 0, 0, 1], 3);
    got.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 1e-6));
  });

  it('penalizes only the share of weight on new edges beyond δ', () => {
    const previous = tf.tensor2d([1, 1, 0, 1], [2, 2]);
    const same = tf.tensor2d([0.5, 0.5, 0, 1], [2, 2]);
    const added = tf.tensor2d([0.5, 0.5, 1, 1], [2, 2]); // 1/3 of the weight is new
    expect(newEdgePenalty(same, previous, 0.05).dataSync()[0]).to.equal(0);
    expect(newEdgePenalty(added, previous, 0.05).dataSync()[0]).to.be.closeTo((1 / 3 - 0.05) / 0.05, 1e-4);
  });

  it('gradients of a loss on the learned graph reach both embeddings and the gate', () => {
    const params = new ParamStore(4);
    const learner = new GraphLearner(params, N, 8);
    const previous = tf.tidy(() => initialGraph(new Float32Array(N * N).fill(1), N));
    const target = tf.randomNormal([N, N], 0, 1, 'float32', 9);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(learner.learn(previous), target)), params.select('graph/'));
    const norms = Object.fromEntries(params.entries().map(([name, v]) => [name, tf.norm(grads[v.name]!).dataSync()[0]!]));
    expect(norms['graph/w1']).to.be.greaterThan(0);
    expect(norms['graph/w2']).to.be.greaterThan(0);
    expect(norms['graph/gate']).to.be.greaterThan(0);
    value.dispose();
    learner.dispose();
    params.dispose();
  });
});

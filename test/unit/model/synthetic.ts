/**
 * A small synthetic application for model tests: a chain of services where each one's load is the
 * previous one's, a few steps later (what a GNN with the call graph can exploit), plus noise.
 */
import type { Dataset } from '../../../src/dataset/index.js';
import type { CallGraph } from '../../../src/graph/index.js';
import type { Feature } from '../../../src/core/frame.js';
import { seededRandom } from '../../../src/model/ops.js';

export function chainDataset(services = 4, length = 300, seed = 7): { dataset: Dataset; callGraph: CallGraph } {
  const names = Array.from({ length: services }, (_, i) => `svc${i}`);
  const features: Feature[] = ['req', 'cpu_cores'];
  const random = seededRandom(seed);
  const entry = Array.from({ length: length + services * 2 }, (_, t) => 50 + 30 * Math.sin((2 * Math.PI * t) / 40) + 10 * Math.sin((2 * Math.PI * t) / 11));
  const values = new Float32Array(length * services * features.length);
  for (let t = 0; t < length; t++) {
    for (let s = 0; s < services; s++) {
      const req = entry[t + services * 2 - 2 * s]! * (1 + 0.5 * s) + random() * 2;
      values[(t * services + s) * 2] = req;
      values[(t * services + s) * 2 + 1] = 0.01 * req + 0.05;
    }
  }
  const edges = names.slice(1).map((to, i) => ({ from: names[i]!, to, weight: 1 }));
  return { dataset: { services: names, features, stepSeconds: 30, startMs: 0, length, values }, callGraph: { services: names, edges } };
}

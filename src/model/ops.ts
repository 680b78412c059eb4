/**
 * Small tensor helpers shared by the layers: a 2-D matMul whose gradient transposes explicitly
 * (wasm's transposed matMul is slow, this trains ~3× faster), seeded parameter creation, and a
 * seeded random number generator so that a fixed seed gives the same model.
 */
import { tf } from './backend.js';
import { createRandom } from '../util/index.js';

/** a · b for 2-D tensors, with gradients dA = dy · bᵀ and dB = aᵀ · dy built from plain matMuls. */
const matMulWithGradient = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`matMul2d needs 2-D tensors, got ranks ${a.rank} and ${b.rank}`);
  return matMulWithGradient(a, b) as tf.Tensor2D;
}

/** x [..., C] · w [C, D] (+ bias [D]) → [..., D], as one 2-D matMul over all leading axes. */
export function dense<T extends tf.Tensor>(x: T, w: tf.Tensor, bias?: tf.Tensor): T {
  const shape = x.shape;
  const flat = matMul2d(tf.reshape(x, [-1, shape[shape.length - 1]!]), w);
  return tf.reshape(bias ? tf.add(flat, bias) : flat, [...shape.slice(0, -1), w.shape[1]!]) as T;
}

/** A seeded uniform [0, 1) stream (mulberry32, shared with the simulator). */
export function seededRandom(seed: number): () => number {
  return createRandom(seed).next;
}

/** How a parameter starts: Glorot uniform, a constant, or given values. */
export type Init = 'glorot' | 'zeros' | 'ones' | { readonly constant: number } | Float32Array;

/**
 * The trainable weights of a model, by name. Layers create theirs through `create` so that saving,
 * loading and the optimizer see one flat, ordered list; names are "<layer>/<weight>".
 */
let nextVariableId = 0;

export class ParamStore {
  private readonly params = new Map<string, tf.Variable>();
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  create(name: string, shape: number[], init: Init = 'glorot'): tf.Variable {
    if (this.params.has(name)) throw new Error(`parameter ${name} created twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (init instanceof Float32Array && init.length !== size) throw new Error(`parameter ${name}: ${init.length} initial values for shape [${shape}]`);
    const values = init instanceof Float32Array ? init.slice() : new Float32Array(size);
    if (init === 'ones') values.fill(1);
    else if (typeof init === 'object' && !(init instanceof Float32Array)) values.fill(init.constant);
    else if (init === 'glorot') {
      // Glorot uniform over the last two axes (fan in, fan out).
      const fanIn = shape.length > 1 ? shape[shape.length - 2]! : shape[0]!;
      const fanOut = shape[shape.length - 1]!;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) values[i] = (this.random() * 2 - 1) * limit;
    }
    // tfjs variable names are process-wide: a counter keeps two live models (a reload) apart.
    const initial = tf.tensor(values, shape);
    const variable = tf.variable(initial, true, `${name}#${nextVariableId++}`);
    // The variable holds its own reference to the values: the initial tensor would otherwise leak with every model.
    initial.dispose();
    this.params.set(name, variable);
    return variable;
  }

  /** Parameters whose name starts with the prefix, in creation order. */
  select(prefix = ''): tf.Variable[] {
    return [...this.params.entries()].filter(([name]) => name.startsWith(prefix)).map(([, v]) => v);
  }

  entries(): [string, tf.Variable][] {
    return [...this.params.entries()];
  }

  get(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

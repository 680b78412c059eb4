/**
 * TensorFlow.js backend selection: tfjs-node when it is installed (an optional dependency that
 * cannot install without internet), else wasm with SIMD, else the pure-JS cpu backend.
 * Every module that touches tensors imports `tf` from here so the choice is made once. Tensor
 * methods (x.add(y)) are not registered by tfjs-core's Node build: use the functions (tf.add(x, y)).
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers the gradients of many ops (without it, training fails with "gradient not found").
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { log } from '../telemetry/index.js';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: Promise<BackendName> | null = null;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // A variable specifier keeps tsc from requiring the package's types, which are absent here.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(join(root, 'dist') + '/');
    // setBackend resolves false (it does not throw) when the .wasm files cannot be loaded.
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Picks the fastest backend that works (once per process or worker) and logs it.
 * `DEEPSCALER_TF_BACKEND=cpu|wasm|tensorflow` forces one, e.g. to compare speeds.
 */
export function initBackend(): Promise<BackendName> {
  chosen ??= (async () => {
    const forced = process.env['DEEPSCALER_TF_BACKEND'];
    const attempts: [BackendName, () => Promise<boolean>][] = [
      ['tensorflow', tryTfjsNode],
      ['wasm', tryWasm],
      ['cpu', () => tf.setBackend('cpu')],
    ];
    for (const [name, attempt] of attempts) {
      if (forced && forced !== name) continue;
      if (await attempt()) {
        await tf.ready();
        log.info('tensorflow.js backend selected', { backend: name, simd: name === 'wasm' ? String(await wasmSimd()) : undefined });
        return name;
      }
    }
    throw new Error(`no TensorFlow.js backend could be initialised${forced ? ` (DEEPSCALER_TF_BACKEND=${forced})` : ''}`);
  })();
  return chosen;
}

async function wasmSimd(): Promise<boolean> {
  return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
}

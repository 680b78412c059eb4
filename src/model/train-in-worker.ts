/**
 * Training in a worker thread: wasm memory never shrinks, so a long-lived process (the server,
 * the simulator) trains in a worker whose memory goes away when it exits. The worker trains,
 * saves the model folder and reports progress and a summary back.
 */
import { Worker } from 'node:worker_threads';
import type { CallGraph } from '../graph/index.js';
import type { Dataset } from '../dataset/index.js';
import type { ModelConfig, TrainConfig } from './config.js';
import type { TrainProgress } from './trainer.js';

export interface WorkerTrainRequest {
  readonly dataset: Dataset;
  readonly callGraph: CallGraph | null;
  readonly modelConfig: ModelConfig;
  readonly trainConfig: TrainConfig;
  /** Model folder to write (atomically). */
  readonly saveDir: string;
  readonly provenance?: Record<string, string>;
}

export interface WorkerTrainSummary {
  readonly saveDir: string;
  readonly seconds: number;
  readonly bestValLoss: number;
  readonly backend: string;
  readonly epochs: number;
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: TrainProgress }
  | { readonly type: 'done'; readonly summary: WorkerTrainSummary }
  | { readonly type: 'error'; readonly message: string };

/** Trains and saves a model in a worker thread; resolves with the summary once the folder is written. */
export function trainInWorker(request: WorkerTrainRequest, onProgress: (p: TrainProgress) => void = () => {}): Promise<WorkerTrainSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./train-worker.js', import.meta.url), { workerData: request });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.progress);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.summary);
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(new Error(`training worker failed: ${err.message}`, { cause: err }));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`training worker exited with code ${code} before finishing`));
    });
  });
}

/** Entry point of the training worker thread (see worker.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { saveModel } from './persistence.js';
import { trainModel } from './trainer.js';
import type { WorkerMessage, WorkerTrainRequest } from './train-in-worker.js';

const request = workerData as WorkerTrainRequest;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

try {
  let lastPost = 0;
  const result = await trainModel(request.dataset, request.callGraph, request.modelConfig, request.trainConfig, (progress) => {
    // Progress arrives per batch; a few messages a second are plenty for a progress bar.
    const now = Date.now();
    if (now - lastPost > 200 || progress.batch === progress.batches) {
      lastPost = now;
      post({ type: 'progress', progress });
    }
  });
  await saveModel(request.saveDir, result, request.provenance ?? {});
  post({
    type: 'done',
    summary: { saveDir: request.saveDir, seconds: result.seconds, bestValLoss: result.bestValLoss, backend: result.backend, epochs: result.history.length },
  });
  result.network.dispose();
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}

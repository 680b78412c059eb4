/**
 * Worker thread that owns the model: loads it, checks it fits the application, and forecasts.
 * Running it here keeps the model's CPU time (and wasm's never-shrinking memory) off the thread
 * that answers API requests. A failed load leaves the current model in place.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Forecaster } from '../forecast/index.js';
import type { ModelInfo, WorkerReply, WorkerRequest, WorkerSetup } from './model-host.js';

const setup = workerData as WorkerSetup;
let current: Forecaster | null = null;

async function loader(): Promise<(dir: string) => Promise<Forecaster>> {
  const mod = (await import(setup.loaderModule)) as Record<string, unknown>;
  const fn = mod[setup.loaderExport];
  if (typeof fn !== 'function') throw new Error(`${setup.loaderModule} has no function "${setup.loaderExport}"`);
  return fn as (dir: string) => Promise<Forecaster>;
}

function describe(model: Forecaster, services: readonly string[]): ModelInfo {
  return { name: model.name, inputSteps: model.inputSteps, horizon: model.horizon, services: [...services] };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'load') {
    const load = await loader();
    const candidate = await load(request.dir);
    // A model that cannot forecast every configured service is as bad as a corrupt file.
    const services = (candidate as Forecaster & { services?: readonly string[] }).services ?? request.requiredServices;
    const missing = request.requiredServices.filter((s) => !services.includes(s));
    if (missing.length > 0) throw new Error(`model in ${request.dir} does not forecast ${missing.join(', ')} (it knows ${services.join(', ')})`);
    current = candidate;
    return { type: 'loaded', id: request.id, info: describe(candidate, services) };
  }
  if (current === null) throw new Error('no model loaded');
  const forecast = await current.forecast(request.window);
  return { type: 'forecast', id: request.id, forecast };
}

parentPort!.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) => parentPort!.postMessage({ type: 'error', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});

/**
 * Worker thread that owns the model: loads it, checks it fits the application, and forecasts.
 * Running it here keeps the model's CPU time (and wasm's never-shrinking memory) off the thread
 * that answers API requests. A failed load leaves the current model in place; so does a model
 * whose trial forecast is not finite. A forecast with NaN or Inf values is an error, never served.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEMAND_FEATURES, type Forecast, type Forecaster } from '../forecast/index.js';
import type { HistoryWindow } from '../history/index.js';
import { ALL_FEATURES, type Feature } from '../core/index.js';
import type { LearnedGraph } from '../snapshot/index.js';
import type { ModelInfo, WorkerReply, WorkerRequest, WorkerSetup } from './model-host.js';

const setup = workerData as WorkerSetup;
let current: Forecaster | null = null;

async function loader(): Promise<(dir: string) => Promise<Forecaster>> {
  const mod = (await import(setup.loaderModule)) as Record<string, unknown>;
  const fn = mod[setup.loaderExport];
  if (typeof fn !== 'function') throw new Error(`${setup.loaderModule} has no function "${setup.loaderExport}"`);
  return fn as (dir: string) => Promise<Forecaster>;
}

/** What a loader may tell about its model beyond the Forecaster contract (the GNN does). */
type DescribedForecaster = Forecaster & {
  readonly info?: {
    readonly services?: readonly string[];
    readonly features?: readonly Feature[];
    readonly targets?: readonly string[];
    readonly stepSeconds?: number;
  };
  readonly graph?: LearnedGraph;
};

/** Why a forecast cannot be served: the wrong size, or values that are not finite numbers (NaN/Inf weights). */
export function forecastProblem(forecast: Forecast, model: string): string | null {
  const expected = forecast.horizon * forecast.services.length * forecast.targets.length;
  if (forecast.values.length !== expected) return `model ${model} returned ${forecast.values.length} values, expected ${expected}`;
  let bad = 0;
  for (const v of forecast.values) if (!Number.isFinite(v)) bad++;
  return bad === 0 ? null : `model ${model} forecast ${bad} of ${expected} values that are not finite numbers (NaN or Inf)`;
}

/**
 * A forecast on a quiet synthetic history (every value 0) before the model may replace the current
 * one: a model with NaN or infinite weights loads fine and is only caught by running it.
 */
async function trialForecast(model: DescribedForecaster, request: Extract<WorkerRequest, { type: 'load' }>): Promise<void> {
  const services = model.info?.services ?? request.requiredServices;
  const features = model.info?.features ?? ALL_FEATURES;
  const steps = model.inputSteps;
  const window: HistoryWindow = {
    services,
    features,
    stepSeconds: model.info?.stepSeconds ?? request.stepSeconds,
    timestamps: Float64Array.from({ length: steps }, (_, t) => t * request.stepSeconds * 1000),
    values: new Float32Array(steps * services.length * features.length),
  };
  let forecast: Forecast;
  try {
    forecast = await model.forecast(window);
  } catch (err) {
    throw new Error(`model in ${request.dir} fails its trial forecast: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const problem = forecastProblem(forecast, model.name);
  if (problem !== null) throw new Error(`model in ${request.dir} fails its trial forecast: ${problem}`);
}

/** A model that cannot serve this application is as bad as a corrupt file: refuse it before it replaces the current one. */
function check(model: DescribedForecaster, request: Extract<WorkerRequest, { type: 'load' }>): ModelInfo {
  const services = model.info?.services ?? request.requiredServices;
  const missing = request.requiredServices.filter((s) => !services.includes(s));
  if (missing.length > 0) throw new Error(`model in ${request.dir} does not forecast ${missing.join(', ')} (it knows ${services.join(', ')})`);
  const targets = model.info?.targets;
  if (targets !== undefined && !DEMAND_FEATURES.some((f) => targets.includes(f))) {
    throw new Error(`model in ${request.dir} forecasts ${targets.join(', ')}, none of the demand features ${DEMAND_FEATURES.join(', ')}`);
  }
  const step = model.info?.stepSeconds;
  if (step !== undefined && step !== request.stepSeconds) {
    throw new Error(`model in ${request.dir} was trained on ${step} s steps, the application steps every ${request.stepSeconds} s`);
  }
  const graph = model.graph ? { services: [...model.graph.services], adjacency: model.graph.adjacency } : null;
  return { name: model.name, inputSteps: model.inputSteps, horizon: model.horizon, services: [...services], graph };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'load') {
    const load = await loader();
    const candidate = (await load(request.dir)) as DescribedForecaster;
    const info = check(candidate, request);
    await trialForecast(candidate, request);
    current = candidate;
    return { type: 'loaded', id: request.id, info };
  }
  if (current === null) throw new Error('no model loaded');
  const forecast = await current.forecast(request.window);
  const problem = forecastProblem(forecast, current.name);
  if (problem !== null) throw new Error(problem);
  return { type: 'forecast', id: request.id, forecast };
}

parentPort!.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) =>
      parentPort!.postMessage({ type: 'error', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});

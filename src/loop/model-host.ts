/**
 * The model of one application, kept in a worker thread: loaded at start, reloaded when its folder
 * changes (polled, then debounced: a change is loaded once it has stayed the same for one poll),
 * and never replaced by a folder that fails to load. Polling rather than inotify because model
 * folders are swapped by rename (writeDirAtomic) or by a ConfigMap's symlink flip, which a watch on
 * the old folder does not see.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Forecast, Forecaster } from '../forecast/index.js';
import type { HistoryWindow } from '../history/index.js';
import type { LearnedGraph } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';

export interface ModelInfo {
  readonly name: string;
  readonly inputSteps: number;
  readonly horizon: number;
  readonly services: readonly string[];
  /** The learned service graph, when the model has one (the GNN does). */
  readonly graph: LearnedGraph | null;
}

/** What the worker is started with: where to find the loader (a module URL and its export). */
export interface WorkerSetup {
  readonly loaderModule: string;
  readonly loaderExport: string;
}

export type WorkerRequest =
  | { readonly type: 'load'; readonly id: number; readonly dir: string; readonly requiredServices: readonly string[]; readonly stepSeconds: number }
  | { readonly type: 'forecast'; readonly id: number; readonly window: HistoryWindow };

export type WorkerReply =
  | { readonly type: 'loaded'; readonly id: number; readonly info: ModelInfo }
  | { readonly type: 'forecast'; readonly id: number; readonly forecast: Forecast }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

export interface ModelHostOptions {
  readonly dir: string;
  /** Services the application serves; a model that does not forecast all of them is refused. */
  readonly requiredServices: readonly string[];
  /** The application's step; a model trained on another step is refused. */
  readonly stepSeconds: number;
  readonly pollMs: number;
  readonly logger: Logger;
  /** Called after every load attempt, for metrics. */
  readonly onLoadAttempt?: (outcome: { ok: true; info: ModelInfo } | { ok: false; error: string }) => void;
  /** Module URL and export of `(dir) => Promise<Forecaster>`; defaults to the GNN loader. */
  readonly loader?: WorkerSetup;
  /** Called when a dead worker is started again, for metrics. */
  readonly onWorkerRestart?: () => void;
  /** Wait before the first restart of a dead worker; doubles per consecutive death up to 60 s. Default 1 s. */
  readonly restartBackoffMs?: number;
}

const MAX_RESTART_BACKOFF_MS = 60_000;

export const GNN_LOADER: WorkerSetup = {
  loaderModule: new URL('../model/index.js', import.meta.url).href,
  loaderExport: 'loadGnnForecaster',
};

/** Names, sizes and modification times of a folder's files: changes whenever a file is rewritten. */
export function folderSignature(dir: string): string {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => {
        const st = statSync(join(dir, name));
        return `${name}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
  } catch {
    return 'missing';
  }
}

export class ModelHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void }>();
  private info: ModelInfo | null = null;
  /** The forecaster handed out for the loaded model (the same object until another model loads). */
  private current: { readonly info: ModelInfo; readonly forecaster: Forecaster } | null = null;
  private seen = '';
  private attempted = '';
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<void> | null = null;
  private stopped = false;
  private starting: Promise<void> | null = null;
  /** The running worker holds a loaded model (a fresh worker after a crash does not). */
  private workerHasModel = false;
  /** Deaths since the last successful load: the next restart waits backoff × 2^(deaths − 1). */
  private deaths = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  lastError: string | null = null;

  constructor(private readonly options: ModelHostOptions) {}

  /** Starts the worker and tries the first load; a failure leaves no model (cold start), not an error. */
  /** Starts once however many applications share this host (see ServingLoop: one per model folder). */
  start(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    this.spawn();
    this.seen = folderSignature(this.options.dir);
    await this.load(this.seen);
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  /** A forecaster backed by the loaded model, or null before a model has loaded. */
  forecaster(): Forecaster | null {
    const info = this.info;
    if (info === null) return null;
    // One object per loaded model: the loop rebuilds its calibration when this identity changes.
    if (this.current?.info !== info) {
      const forecaster: Forecaster = {
        name: info.name,
        inputSteps: info.inputSteps,
        horizon: info.horizon,
        forecast: async (window) => {
          const reply = await this.request({ type: 'forecast', id: this.nextId++, window });
          if (reply.type !== 'forecast') throw new Error(`model worker answered ${reply.type} to a forecast`);
          return reply.forecast;
        },
      };
      this.current = { info, forecaster };
    }
    return this.current.forecaster;
  }

  get loaded(): ModelInfo | null {
    return this.info;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.loading;
    await this.worker?.terminate();
    this.worker = null;
  }

  private poll(): void {
    if (this.loading !== null || this.stopped) return;
    const signature = folderSignature(this.options.dir);
    if (signature !== this.seen) {
      this.seen = signature; // changed: wait one more poll for the writer to finish
      return;
    }
    if (signature !== this.attempted) void this.load(signature);
  }

  private load(signature: string): Promise<void> {
    this.attempted = signature;
    const dir = this.options.dir;
    this.loading = this.request({
      type: 'load',
      id: this.nextId++,
      dir,
      requiredServices: this.options.requiredServices,
      stepSeconds: this.options.stepSeconds,
    })
      .then((reply) => {
        if (reply.type !== 'loaded') throw new Error(`model worker answered ${reply.type} to a load`);
        const replaced = this.info !== null;
        this.info = reply.info;
        this.workerHasModel = true;
        this.deaths = 0;
        this.lastError = null;
        this.options.logger.info(replaced ? 'model reloaded' : 'model loaded', {
          dir,
          model: reply.info.name,
          inputSteps: reply.info.inputSteps,
          horizon: reply.info.horizon,
        });
        this.options.onLoadAttempt?.({ ok: true, info: reply.info });
      })
      .catch((err: Error) => {
        // A worker started after a crash has no model to keep: the old one went with the thread.
        if (!this.workerHasModel) this.info = null;
        this.lastError = `model load failed (${dir}): ${err.message}`;
        this.options.logger.error(this.info ? 'model load failed; keeping the last good model' : 'model load failed; forecasting without it', {
          dir,
          error: err.message,
          kept: this.info?.name ?? null,
        });
        this.options.onLoadAttempt?.({ ok: false, error: err.message });
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private spawn(): void {
    const worker = new Worker(new URL('./model-worker.js', import.meta.url), { workerData: this.options.loader ?? GNN_LOADER });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiter.reject(new Error(reply.message));
      else waiter.resolve(reply);
    });
    worker.on('error', (err) => this.options.logger.error('model worker crashed', { error: err.message }));
    worker.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`model worker exited with code ${code}`));
      this.pending.clear();
      this.worker = null;
      this.workerHasModel = false;
      if (this.stopped) return;
      // Forecasts fail (and are counted) until a fresh worker has loaded the model again; a worker
      // that keeps dying is restarted less and less often, so it cannot spin the CPU.
      this.deaths++;
      const wait = Math.min(MAX_RESTART_BACKOFF_MS, (this.options.restartBackoffMs ?? 1000) * 2 ** (this.deaths - 1));
      this.lastError = `model worker exited with code ${code}; restarting it in ${wait} ms`;
      this.options.logger.error('model worker died; restarting it', { code, restartInMs: wait, deaths: this.deaths });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.stopped) return;
        this.spawn();
        this.options.onWorkerRestart?.();
        void this.load(folderSignature(this.options.dir));
      }, wait);
      this.restartTimer.unref();
    });
    this.worker = worker;
    this.workerHasModel = false;
  }

  private request(message: WorkerRequest): Promise<WorkerReply> {
    const worker = this.worker;
    if (worker === null) return Promise.reject(new Error('model worker is not running'));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.postMessage(message);
    });
  }
}

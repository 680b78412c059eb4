/**
 * One Kubernetes Event on a service's Deployment when its desired count changes, saying why:
 * reason, driver, horizon, demand, capacity per pod, risk and correction, forecaster and fallback.
 *
 * Rate-limited per Deployment: at most one Event per `minIntervalMs`. A change inside the interval
 * is held, and when the interval ends the newest count is reported (if it still differs from the
 * last one reported), so a burst of flapping becomes one Event with the final count, never silence.
 * Failures are logged and counted, never thrown: an Event is a courtesy, scaling does not wait on it.
 */
import { Counter, type Registry } from 'prom-client';
import { readDeployment, type DeploymentsApi, createDeploymentEvent, type EventsApi } from '../kube/index.js';
import type { Logger } from '../telemetry/index.js';
import { sizing } from './document.js';
import type { DecisionJournal, ReplicaChange } from './journal.js';

export const REASON_CHANGED = 'DesiredReplicasChanged';
export const REASON_PREVIEW = 'PreviewDesiredReplicasChanged';

export interface ReplicaEventsOptions {
  readonly events: EventsApi;
  readonly deployments: DeploymentsApi;
  readonly minIntervalMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: () => number;
}

interface PerDeployment {
  /** The count the last Event reported, and when it was written. */
  reported: number | null;
  lastAt: number;
  /** The newest change not reported yet. */
  pending: ReplicaChange | null;
  timer: NodeJS.Timeout | null;
  uid: string | null;
}

const num = (x: number): string => String(Math.round(x * 1000) / 1000);

/** The Event's message: one line a person reads in `kubectl describe deployment`. */
export function eventMessage(change: ReplicaChange, from: number): string {
  const { recommendation: rec } = change;
  const r = rec.reason;
  const unit = r.driver === 'cpu_cores' ? 'cores' : 'req/s';
  const horizon = change.horizonSeconds > 0 ? `${change.horizonSeconds} s ahead` : 'current usage';
  const mode = change.fallback === null ? '' : `, fallback ${change.fallback}`;
  const preview = change.preview ? 'preview (not served): would scale' : 'desired replicas';
  return (
    `${preview} ${from} → ${rec.desiredReplicas}: ${r.text} ` +
    `[reason ${r.kind}, driver ${r.driver}, horizon ${horizon}, demand ${num(r.demand)} ${unit}, ` +
    `${num(r.capacityPerPod)} ${unit} per pod${sizing(r)}, forecaster ${change.forecaster}${mode}; app ${change.app}]`
  );
}

export class ReplicaEvents {
  private readonly state = new Map<string, PerDeployment>();
  private readonly outcomes: Counter<'result'>;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    journal: DecisionJournal,
    private readonly options: ReplicaEventsOptions,
  ) {
    this.outcomes = new Counter({
      name: 'deepscaler_replica_events_total',
      help: 'Events about desired-replica changes: created, duplicate (another replica wrote it), held (rate limit), unchanged (a held change went back), failed',
      labelNames: ['result'],
      registers: [options.registry],
    });
    this.unsubscribe = journal.onChange((change) => this.changed(change));
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private changed(change: ReplicaChange): void {
    if (this.closed) return;
    const key = `${change.namespace}/${change.recommendation.service}`;
    let entry = this.state.get(key);
    if (entry === undefined) {
      // The first change seen reports from the count before it.
      entry = { reported: change.from, lastAt: Number.NEGATIVE_INFINITY, pending: null, timer: null, uid: null };
      this.state.set(key, entry);
    }
    entry.pending = change;
    const wait = entry.lastAt + this.options.minIntervalMs - this.now();
    if (wait <= 0) {
      void this.flush(entry);
      return;
    }
    this.outcomes.inc({ result: 'held' });
    if (entry.timer === null) {
      entry.timer = setTimeout(() => {
        entry!.timer = null;
        void this.flush(entry!);
      }, wait);
      entry.timer.unref();
    }
  }

  private async flush(entry: PerDeployment): Promise<void> {
    const change = entry.pending;
    entry.pending = null;
    if (change === null || this.closed) return;
    if (change.recommendation.desiredReplicas === entry.reported) {
      this.outcomes.inc({ result: 'unchanged' });
      return;
    }
    const from = entry.reported ?? change.from;
    const at = this.now();
    entry.lastAt = at;
    entry.reported = change.recommendation.desiredReplicas;
    const deployment = change.recommendation.service;
    try {
      entry.uid ??= (await readDeployment(this.options.deployments, change.namespace, deployment)).uid;
      const outcome = await createDeploymentEvent(this.options.events, {
        namespace: change.namespace,
        deployment,
        uid: entry.uid,
        // Same change, same window → same name on every adapter replica: the second create is a 409.
        name: `${deployment}.deepscaler.${change.recommendation.desiredReplicas}.${Math.floor(change.at / this.options.minIntervalMs).toString(36)}`,
        reason: change.preview ? REASON_PREVIEW : REASON_CHANGED,
        message: eventMessage(change, from),
        at: new Date(at),
      });
      this.outcomes.inc({ result: outcome });
    } catch (err) {
      this.outcomes.inc({ result: 'failed' });
      this.options.logger.warn('could not write the replica-change event', { deployment: `${change.namespace}/${deployment}`, error: (err as Error).message });
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const entry of this.state.values()) if (entry.timer !== null) clearTimeout(entry.timer);
  }
}

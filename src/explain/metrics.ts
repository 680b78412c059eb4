/**
 * The preview scorecard in /metrics, per service, for the Grafana dashboard: totals since the
 * adapter started, `scenario="actual"` (the replicas that ran) and `scenario="planned"`
 * (DeepScaler's plan, judged after its actuation delay); and which applications are in preview.
 */
import { Gauge, type Registry } from 'prom-client';
import type { RetrainDecision } from '../model/index.js';
import type { DecisionJournal } from './journal.js';

export class ScorecardMetrics {
  private readonly unsubscribe: () => void;

  constructor(journal: DecisionJournal, registry: Registry, previews: readonly { namespace: string; app: string; preview: boolean }[]) {
    const registers = [registry];
    const labelNames = ['namespace', 'app', 'service', 'scenario'] as const;
    const under = new Gauge({
      name: 'deepscaler_scorecard_underprovisioned_minutes',
      help: "Minutes demand exceeded replicas × capacity per pod, since start: scenario actual (replicas that ran) or planned (DeepScaler's plan)",
      labelNames,
      registers,
    });
    const replicaHours = new Gauge({
      name: 'deepscaler_scorecard_replica_hours',
      help: "Replica-hours since start: scenario actual (replicas that ran) or planned (DeepScaler's plan), over the scored steps",
      labelNames,
      registers,
    });
    const scored = new Gauge({
      name: 'deepscaler_scorecard_scored_minutes',
      help: 'Minutes the scorecard compared (demand, running replicas and a plan all known)',
      labelNames: ['namespace', 'app', 'service'],
      registers,
    });
    const preview = new Gauge({
      name: 'deepscaler_preview',
      help: 'The application is in preview mode (computed and scored, not served to the HPA): 1, else 0',
      labelNames: ['namespace', 'app'],
      registers,
    });
    for (const p of previews) preview.set({ namespace: p.namespace, app: p.app }, p.preview ? 1 : 0);
    this.unsubscribe = journal.onScore((app, scores) => {
      const { namespace } = app;
      for (const s of scores) {
        const labels = { namespace, app: app.app, service: s.service };
        scored.set(labels, s.scoredMinutes);
        under.set({ ...labels, scenario: 'actual' }, s.actual.underProvisionedMinutes);
        under.set({ ...labels, scenario: 'planned' }, s.planned.underProvisionedMinutes);
        replicaHours.set({ ...labels, scenario: 'actual' }, s.actual.replicaHours);
        replicaHours.set({ ...labels, scenario: 'planned' }, s.planned.replicaHours);
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * The last `deepscaler retrain` decision of each application, read at scrape time from the
 * retrain.json beside its model path (the CronJob runs elsewhere; the adapter is what Prometheus
 * scrapes). Applications without a decision export nothing.
 */
export function registerRetrainMetrics(registry: Registry, apps: readonly { app: string; read: () => RetrainDecision | null }[]): void {
  const registers = [registry];
  const decisions = (): [string, RetrainDecision][] =>
    apps.flatMap(({ app, read }) => {
      const d = read();
      return d === null ? [] : [[app, d] as [string, RetrainDecision]];
    });
  new Gauge({
    name: 'deepscaler_retrain_last_run_timestamp_seconds',
    help: 'When the last retrain decision was made (the model lifecycle CronJob)',
    labelNames: ['app'],
    registers,
    collect() {
      this.reset();
      for (const [app, d] of decisions()) this.set({ app }, Date.parse(d.at) / 1000);
    },
  });
  new Gauge({
    name: 'deepscaler_retrain_last_promoted',
    help: 'The last retrain promoted its candidate: 1; kept the live model (or failed): 0',
    labelNames: ['app'],
    registers,
    collect() {
      this.reset();
      for (const [app, d] of decisions()) this.set({ app }, d.promoted ? 1 : 0);
    },
  });
  new Gauge({
    name: 'deepscaler_retrain_relative_error',
    help: "Held-out decision loss ÷ the best tuned baseline's (evaluate's pinball of the calibrated look-ahead peak) in the last retrain: model candidate or live",
    labelNames: ['app', 'model'],
    registers,
    collect() {
      this.reset();
      for (const [app, d] of decisions()) {
        if (d.candidate !== null) this.set({ app, model: 'candidate' }, d.candidate.score.relativeError);
        if (d.live.score !== null) this.set({ app, model: 'live' }, d.live.score.relativeError);
      }
    },
  });
}

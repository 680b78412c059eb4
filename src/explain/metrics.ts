/**
 * The preview scorecard in /metrics, per service, for the Grafana dashboard: totals since the
 * adapter started, `scenario="actual"` (the replicas that ran) and `scenario="planned"`
 * (DeepScaler's plan, judged after its actuation delay); and which applications are in preview.
 */
import { Gauge, type Registry } from 'prom-client';
import type { DecisionJournal } from './journal.js';

export class ScorecardMetrics {
  private readonly unsubscribe: () => void;

  constructor(journal: DecisionJournal, registry: Registry, previews: readonly { namespace: string; app: string; preview: boolean }[]) {
    const registers = [registry];
    const labelNames = ['namespace', 'app', 'service', 'scenario'] as const;
    const under = new Gauge({
      name: 'deepscaler_scorecard_underprovisioned_minutes',
      help: 'Minutes demand exceeded replicas × capacity per pod, since start: scenario actual (replicas that ran) or planned (DeepScaler\'s plan)',
      labelNames,
      registers,
    });
    const replicaHours = new Gauge({
      name: 'deepscaler_scorecard_replica_hours',
      help: 'Replica-hours since start: scenario actual (replicas that ran) or planned (DeepScaler\'s plan), over the scored steps',
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

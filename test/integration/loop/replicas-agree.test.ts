/**
 * Two replicas on one Prometheus serve identical values every step (issue 14.9). They start at
 * different moments, as pods of a Deployment do, and Prometheus is still ingesting the newest step
 * for a while after it (here: a step's value reads low for 600 ms after its timestamp). Steps sit on
 * the same wall-clock grid in every process and read only settled data, so both replicas read the
 * same windows and decide the same counts.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { parseServeConfig } from '../../../src/config/schema.js';
import { ServingLoop } from '../../../src/loop/index.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { eventually } from '../../support/eventually.js';
import { fakePrometheus, json, type FakePrometheus } from '../../support/fake-prometheus.js';

const STEP_SECONDS = 3;
const STEP_MS = STEP_SECONDS * 1000;
/** Prometheus reads a step low until this long after it (scrapes still arriving). */
const INGESTION_MS = 600;
const SERVICES = ['web', 'api'];

/** The demand at data time `t` (epoch ms), once fully ingested: varies step to step. */
function demand(service: string, t: number): number {
  const k = Math.round(t / STEP_MS);
  return (service === 'web' ? 2 : 0.5) * (1 + 0.3 * (k % 5));
}

describe('two replicas on one Prometheus', function () {
  this.timeout(60_000);
  let fake: FakePrometheus | undefined;
  const loops: ServingLoop[] = [];
  after(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    await fake?.close();
  });

  it('serve identical values at every step, though they started at different moments of a step', async () => {
    fake = await fakePrometheus((_req, params, res) => {
      const query = params.get('query') ?? '';
      const service = /svc='(\w+)'/.exec(query)?.[1] ?? '';
      const feature = /^label_replace\((\w+)\{/.exec(query)?.[1] ?? '';
      const values: Array<[number, string]> = [];
      const now = Date.now();
      for (let t = Number(params.get('start')); t <= Number(params.get('end')); t += Number(params.get('step'))) {
        const full = feature === 'pod' ? 2 : demand(service, t * 1000) * (feature === 'req' ? 10 : 1);
        values.push([t, String(now >= t * 1000 + INGESTION_MS ? full : full / 2)]);
      }
      json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { deepscaler_service: service }, values }] } });
    });
    const config = parseServeConfig(
      {
        applications: [
          {
            name: 'shop',
            namespace: 'shop',
            services: SERVICES,
            source: {
              kind: 'prometheus',
              url: fake.url,
              warmupSteps: 30,
              features: ['cpu_cores', 'req', 'pod'],
              templates: { cpu_cores: "cpu_cores{svc='{svc}'}", req: "req{svc='{svc}'}", pod: "pod{svc='{svc}'}" },
            },
            stepSeconds: STEP_SECONDS,
            capacity: { targetUtilization: 0.5 },
            serviceOverrides: { web: { cpuRequestCores: 0.5 }, api: { cpuRequestCores: 0.5 } },
            // The calibration pinned: this test isolates what both replicas read (steps, windows, forecasts);
            // that the calibration state is a function of that data is pinned in test/unit/loop/app-loop.test.ts.
            // (Live, on a loaded machine a replica may skip a 3 s step the other read: a gap only in its history.)
            calibration: { minCorrection: 1, maxCorrection: 1 },
          },
        ],
      },
      '/',
    );
    /** Per replica: the served counts by the data step they were computed from. */
    const served = [new Map<number, string>(), new Map<number, string>()];
    const record = (replica: number) => (snap: AppSnapshot | undefined) => {
      if (snap?.forecast)
        served[replica]!.set(snap.forecast.issuedAt, JSON.stringify(snap.recommendations.map((r) => [r.service, r.desiredReplicas, r.reason.text])));
    };
    const startReplica = async (replica: number): Promise<void> => {
      const store = new SnapshotStore();
      store.subscribe((s) => record(replica)(s.apps.get('shop')));
      const loop = await ServingLoop.create(config, { store, registry: new Registry(), logger: createLogger({}, () => undefined) });
      loops.push(loop);
      await loop.start();
    };
    // Replica 0 starts just after a step boundary (its data not yet ingested), replica 1 half a step later.
    const phase = (ms: number) => new Promise((r) => setTimeout(r, (ms - (Date.now() % STEP_MS) + STEP_MS) % STEP_MS));
    await phase(100);
    await startReplica(0);
    await phase(1_500);
    await startReplica(1);
    const common = (): number[] => [...served[0]!.keys()].filter((k) => served[1]!.has(k));
    await eventually(() => common().length >= 3, 'both replicas served three steps computed from the same data step', 30_000);
    for (const step of common()) {
      expect(served[1]!.get(step), `data step ${new Date(step).toISOString()}`).to.equal(served[0]!.get(step));
    }
  });
});

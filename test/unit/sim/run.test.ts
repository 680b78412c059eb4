import { expect } from 'chai';
import { loadTopology } from '../../../src/graph/topology.js';
import { ALL_FEATURES } from '../../../src/core/frame.js';
import { buildApp } from '../../../src/sim/app.js';
import { CpuHpaAutoscaler } from '../../../src/sim/autoscalers.js';
import { settledReplicas, simulate, type SimulationSpec } from '../../../src/sim/run.js';
import { buildWorkload, loadTrace } from '../../../src/sim/workload.js';

const app = buildApp(loadTopology('data/topologies/online-boutique.yaml'));
const startMs = Date.UTC(2026, 0, 1);

function spec(
  seed: number,
  rates = buildWorkload(loadTrace('data/traces/random-100max.req'), { stepSeconds: 5, durationSeconds: 3600, peak: 60, noise: 0.1, seed }),
): SimulationSpec {
  return { app, rates, startMs, sloSeconds: 1, cluster: { stepSeconds: 5, seed, initialReplicas: settledReplicas(app, rates[0]!, 0.6) } };
}

describe('sim/run', () => {
  it('is deterministic under a seed: the same inputs give the same numbers, another seed other numbers', async () => {
    const a = await simulate(spec(1), new CpuHpaAutoscaler());
    const b = await simulate(spec(1), new CpuHpaAutoscaler());
    const c = await simulate(spec(2), new CpuHpaAutoscaler());
    const { wallSeconds: _a, autoscalerSeconds: _b, ...numbersA } = a.summary;
    const { wallSeconds: _c, autoscalerSeconds: _d, ...numbersB } = b.summary;
    expect(numbersA).to.deep.equal(numbersB);
    expect(Array.from(a.series.replicas)).to.deep.equal(Array.from(b.series.replicas));
    expect(c.summary.cpuCoreHours).to.not.equal(a.summary.cpuCoreHours);
  });

  it('the CPU HPA scales out after a load step to about what carries the new load at its target', async () => {
    const rates = new Float64Array(120).fill(5);
    rates.fill(60, 20); // 12× the load from 100 s on
    const result = await simulate({ ...spec(1, rates), warmupSteps: 0 }, new CpuHpaAutoscaler());
    const needed = [...settledReplicas(app, 60, 0.6).values()].reduce((a, b) => a + b, 0);
    expect(result.series.replicas[19]).to.be.lessThan(needed / 2);
    expect(result.series.replicas[119]).to.be.within(0.9 * needed, 1.2 * needed);
  });

  it('records a dataset the trainer accepts: [T, N, F] with every feature, stamped at step ends', async () => {
    const rates = new Float64Array(30).fill(20);
    const { dataset } = await simulate(spec(1, rates), new CpuHpaAutoscaler(), { recordDataset: true });
    expect(dataset!.length).to.equal(30);
    expect(dataset!.features).to.deep.equal(ALL_FEATURES);
    expect(dataset!.values.length).to.equal(30 * app.services.length * ALL_FEATURES.length);
    expect(dataset!.startMs).to.equal(startMs + 5000);
    expect(dataset!.values.every((v) => Number.isFinite(v))).to.equal(true);
  });
});

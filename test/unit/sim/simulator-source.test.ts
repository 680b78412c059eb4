import { expect } from 'chai';
import { loadTopology } from '../../../src/graph/topology.js';
import { frameValue } from '../../../src/core/frame.js';
import { SimulatorSource, servedReplicasAutoscaler } from '../../../src/sim/simulator-source.js';
import { buildApp } from '../../../src/sim/app.js';

const app = buildApp(loadTopology('data/topologies/online-boutique.yaml'));
const startMs = Date.UTC(2026, 0, 1);
const rates = Float64Array.from({ length: 40 }, (_, t) => 10 + t);

describe('sources/simulator (MetricsSource over the simulator)', () => {
  it('returns the frame of the step at or just before t, stamped at step ends', async () => {
    const source = new SimulatorSource({ app, rates, startMs, cluster: { stepSeconds: 15, seed: 1 } });
    const frame = await source.frame(startMs + 50_000); // steps end at 15, 30, 45 s → the 45 s frame
    expect(frame.timestamp).to.equal(startMs + 45_000);
    expect(frameValue(frame, 'frontend', 'req')).to.be.closeTo(12, 1e-4); // third step's rate at the entry
    expect(frameValue(frame, 'productcatalogservice', 'cpu_request')).to.be.closeTo(0.1, 1e-7);
    expect(source.services).to.deep.equal(app.services);
  });

  it('range gives one frame per step, aligned, and the same frames as stepwise reads (deterministic)', async () => {
    const a = new SimulatorSource({ app, rates, startMs, cluster: { stepSeconds: 15, seed: 1 } });
    const b = new SimulatorSource({ app, rates, startMs, cluster: { stepSeconds: 15, seed: 1 } });
    const frames = await a.range(startMs + 10_000, startMs + 300_000);
    expect(frames.map((f) => (f.timestamp - startMs) / 1000)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 15 * (i + 1)));
    for (const f of frames) expect(Array.from((await b.frame(f.timestamp)).values)).to.deep.equal(Array.from(f.values));
  });

  it('answers steps before the start, or no longer retained, with gaps (NaN), never zeros', async () => {
    const source = new SimulatorSource({ app, rates, startMs, cluster: { stepSeconds: 15 }, retainSteps: 4 });
    const early = await source.frame(startMs + 1000);
    expect(Number.isNaN(frameValue(early, 'frontend', 'req'))).to.equal(true);
    await source.frame(startMs + 15_000 * 10);
    expect(Number.isNaN(frameValue(await source.frame(startMs + 15_000 * 2), 'frontend', 'req'))).to.equal(true);
  });

  it('with servedReplicasAutoscaler the simulated HPAs follow the served value (AverageValue 1)', async () => {
    const source = new SimulatorSource({
      app,
      rates,
      startMs,
      cluster: { stepSeconds: 15, seed: 1 },
      autoscaler: servedReplicasAutoscaler((s) => (s === 'frontend' ? 7 : null)),
    });
    // syncs at 15 s (1 → 5: the default scale-up policy allows +4) and 30 s (→ 7); the 45 s frame shows it
    const frame = await source.frame(startMs + 45_000);
    expect(frameValue(frame, 'frontend', 'pod')).to.equal(7);
    expect(frameValue(frame, 'cartservice', 'pod')).to.equal(1); // no value: a failed metric never scales in or out
  });

  it('refuses reads after close', async () => {
    const source = new SimulatorSource({ app, rates, startMs, cluster: { stepSeconds: 15 } });
    await source.close();
    try {
      await source.frame(startMs + 60_000);
      expect.fail('read after close succeeded');
    } catch (err) {
      expect((err as Error).message).to.match(/closed/);
    }
  });
});

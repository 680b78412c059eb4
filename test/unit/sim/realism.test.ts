/**
 * The simulator's realism rules, each against numbers worked out by hand.
 */
import { expect } from 'chai';
import { parseTopology } from '../../../src/graph/topology.js';
import { buildApp, serviceTime } from '../../../src/sim/app.js';
import { CpuHpaAutoscaler, DEFAULT_SCALING } from '../../../src/sim/autoscalers.js';
import { Cluster } from '../../../src/sim/cluster.js';
import { externalAverageValueReplicas, HorizontalPodAutoscaler, resourceUtilizationReplicas } from '../../../src/sim/hpa.js';
import type { Frame } from '../../../src/core/frame.js';

/** One service: 100 m request, 200 m limit, 2 ms of CPU per request, no idle CPU. */
const single = (burstToLimit?: boolean) =>
  buildApp(
    parseTopology(['name: one', 'entry: a', 'services:', '  - { name: a, cpuRequestMillicores: 100, cpuLimitMillicores: 200 }', 'edges: []'].join('\n'), 'one'),
    {
      idleCoresPerPod: 0,
      ...(burstToLimit !== undefined ? { burstToLimit } : {}),
    },
  );
const noFrame = {} as Frame;

describe('simulator realism (hand-worked)', () => {
  it('pods burst to their CPU limit: 150 req/s on one pod serves 200 m / 2 ms = 100 req/s, using 0.2 cores (throttled)', () => {
    const cluster = new Cluster(single(), { stepSeconds: 1, idleJitter: 0 });
    cluster.step(150);
    expect(cluster.served[0]).to.be.closeTo(100, 1e-9);
    expect(cluster.cpuCores[0]).to.be.closeTo(0.2, 1e-12);
    // A request on an idle pod runs at core speed until the 200 m quota throttles it: 2 ms / 0.2 = 10 ms.
    expect(serviceTime(single(), 0)).to.be.closeTo(0.01, 1e-12);
    const atRequest = new Cluster(single(false), { stepSeconds: 1, idleJitter: 0 });
    atRequest.step(150);
    expect(atRequest.served[0]).to.be.closeTo(50, 1e-9);
  });

  it('the CPU HPA reads CPU 60 s old: at t = 75 s the sample of the step ending at 15 s, at 135 s the one ending at 75 s', async () => {
    const cluster = new Cluster(single(), { stepSeconds: 15, idleJitter: 0 });
    const hpa = new CpuHpaAutoscaler(DEFAULT_SCALING, 60);
    const read = async () => {
      const metrics = await hpa.metrics({ now: cluster.now, cluster, history: null! });
      return metrics[0]![0]!;
    };
    const rates = [20, 20, 20, 20, 60, 60, 60, 60, 60]; // steps ending 15 … 135 s
    const seen: Record<number, unknown> = {};
    for (const rate of rates) {
      cluster.step(rate);
      hpa.observe(noFrame, cluster);
      seen[cluster.now] = await read();
    }
    expect(seen[45]).to.deep.include({ type: 'Failed' }); // nothing 60 s old yet
    expect((seen[75] as { readyUsageCores: number }).readyUsageCores).to.be.closeTo(20 * 0.002, 1e-12);
    expect((seen[120] as { readyUsageCores: number }).readyUsageCores).to.be.closeTo(20 * 0.002, 1e-12);
    expect((seen[135] as { readyUsageCores: number }).readyUsageCores).to.be.closeTo(60 * 0.002, 1e-12);
  });

  it('missingPods: a pod ready after the sampled step is running without a metric; a starting one is unready', async () => {
    const cluster = new Cluster(single(), { stepSeconds: 15, idleJitter: 0, startupSeconds: [15, 15] });
    const hpa = new CpuHpaAutoscaler(DEFAULT_SCALING, 60);
    cluster.setReplicas(0, 2); // the second pod is ready at 15 s
    for (let i = 0; i < 5; i++) {
      cluster.step(10);
      hpa.observe(noFrame, cluster);
    }
    cluster.setReplicas(0, 3); // ready at 90 s
    const metric = (await hpa.metrics({ now: cluster.now, cluster, history: null! }))[0]![0]!;
    // now 75 s: the sample is the step ending at 15 s, through which only the first pod was ready.
    expect(metric).to.deep.include({ type: 'Resource', readyPods: 1, missingPods: 1, unreadyPods: 1 });
  });

  it('inclusive tolerance (Kubernetes ≥ 1.33): a ratio of exactly 1.1 keeps the count', () => {
    expect(externalAverageValueReplicas(11, 1, 10, 0.1).replicas).to.equal(10);
    expect(externalAverageValueReplicas(11.001, 1, 10, 0.1).replicas).to.equal(12);
    // 10 pods at 66 % of a 60 % target: ratio 1.1.
    const metric = {
      type: 'Resource',
      target: 'Utilization',
      readyUsageCores: 0.66,
      readyPods: 10,
      unreadyPods: 0,
      missingPods: 0,
      podRequestCores: 0.1,
      averageUtilization: 60,
    } as const;
    expect(resourceUtilizationReplicas(metric, 10, 0.1).replicas).to.equal(10);
    // Configurable: with 0.05 the same ratio scales out.
    const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 50, tolerance: 0.05 });
    expect(hpa.reconcile({ now: 0, currentReplicas: 10, metrics: [metric] }).desiredReplicas).to.equal(11);
  });

  it('a removed pod costs its request for its termination grace period: 3 → 1 pods of 100 m, grace 30 s, 50 s = 11 core-seconds', () => {
    const cluster = new Cluster(single(), { stepSeconds: 10, idleJitter: 0, terminationGraceSeconds: 30, initialReplicas: new Map([['a', 3]]) });
    cluster.setReplicas(0, 1);
    for (let i = 0; i < 5; i++) cluster.step(1);
    // 1 pod × 50 s × 0.1 + 2 pods × 30 s × 0.1
    expect(cluster.requestedCoreSeconds).to.be.closeTo(11, 1e-9);
  });
});

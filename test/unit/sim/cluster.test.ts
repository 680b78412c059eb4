import { expect } from 'chai';
import { parseTopology } from '../../../src/graph/topology.js';
import { buildApp, serviceTime } from '../../../src/sim/app.js';
import { Cluster } from '../../../src/sim/cluster.js';
import { createRandom } from '../../../src/util/random.js';

// a → b (2 calls), b → c (1 call); 100 m request, 2 ms per request: one pod serves 50 req/s.
const app = buildApp(
  parseTopology(
    [
      'name: chain',
      'entry: a',
      'services:',
      '  - { name: a, cpuRequestMillicores: 100 }',
      '  - { name: b, cpuRequestMillicores: 100 }',
      '  - { name: c, cpuRequestMillicores: 100 }',
      'edges:',
      '  - { from: a, to: b, callsPerRequest: 2 }',
      '  - { from: b, to: c, callsPerRequest: 1 }',
    ].join('\n'),
    'chain',
  ),
);

describe('sim/cluster', () => {
  it('conserves requests at every service: arrived = served + queued + dropped, through overload and scaling', () => {
    const cluster = new Cluster(app, { stepSeconds: 5, seed: 3, queueTimeoutSeconds: 4 });
    const random = createRandom(11);
    for (let t = 0; t < 400; t++) {
      if (t % 7 === 0) for (let s = 0; s < 3; s++) cluster.setReplicas(s, 1 + Math.floor(random.next() * 6));
      cluster.step(random.uniform(0, 150)); // up to 3× what one pod of a can take
      for (let s = 0; s < 3; s++) {
        const accounted = cluster.totalServed[s]! + cluster.queue[s]! + cluster.totalDropped[s]!;
        expect(accounted).to.be.closeTo(cluster.totalArrived[s]!, 1e-9 * cluster.totalArrived[s]!);
      }
    }
    expect(cluster.totalDropped[1]).to.be.greaterThan(0); // the run did overload
  });

  it('queues what exceeds capacity and drops what would wait past the timeout', () => {
    const cluster = new Cluster(app, { stepSeconds: 1, queueTimeoutSeconds: 2 });
    cluster.step(40); // a: 40 in, 50 capacity; b: 80 in, 50 served, 30 queued (< 2 s × 50)
    expect(cluster.served[1]).to.be.closeTo(50, 1e-9);
    expect(cluster.queue[1]).to.be.closeTo(30, 1e-9);
    cluster.step(40); // b: 30 + 80 present, 50 served, 60 left, at most 100 may wait → 60 queued
    cluster.step(40); // b: 60 + 80, 50 served, 90 left → 90 queued
    cluster.step(40); // b: 90 + 80, 50 served, 120 left → 20 dropped, 100 queued
    expect(cluster.dropped[1]).to.be.closeTo(20, 1e-9);
    expect(cluster.queue[1]).to.be.closeTo(100, 1e-9);
    expect(cluster.e2e.failed).to.be.greaterThan(0);
  });

  it('a new pod adds no capacity before its start-up delay, and all are serving by the maximum delay', () => {
    const cluster = new Cluster(app, { stepSeconds: 5, startupSeconds: [30, 60], seed: 7 });
    cluster.setReplicas(0, 5);
    const servedPerSecond: number[] = [];
    for (let t = 0; t < 14; t++) {
      cluster.step(1000); // far above capacity, so served = capacity
      servedPerSecond.push(cluster.served[0]! / 5);
    }
    expect(servedPerSecond.slice(0, 6).every((x) => Math.abs(x - 50) < 1e-9)).to.equal(true); // 0–30 s: the old pod only
    expect(servedPerSecond[6]).to.be.greaterThan(50);
    expect(servedPerSecond.slice(12).every((x) => Math.abs(x - 250) < 1e-9)).to.equal(true); // from 60 s: 5 pods
    expect(cluster.readyPods(0, 29.999)).to.equal(1);
    expect(cluster.readyPods(0, 60)).to.equal(5);
  });

  it('removes starting pods before ready ones when scaling in', () => {
    const cluster = new Cluster(app, { stepSeconds: 5, initialReplicas: new Map([['a', 2]]) });
    cluster.setReplicas(0, 4);
    cluster.setReplicas(0, 2);
    expect(cluster.readyPods(0)).to.equal(2);
  });

  it('end-to-end latency at low load is the sum of service times weighted by visits', () => {
    const cluster = new Cluster(app, {
      stepSeconds: 5,
      initialReplicas: new Map([
        ['a', 100],
        ['b', 100],
        ['c', 100],
      ]),
    });
    cluster.step(1e-6);
    const expected = serviceTime(app, 0) + 2 * serviceTime(app, 1) + 2 * serviceTime(app, 2);
    expect(cluster.e2e.mean).to.be.closeTo(expected, 1e-6);
    expect(cluster.latency[1]).to.be.closeTo(serviceTime(app, 1) + serviceTime(app, 2), 1e-6); // b waits for c
  });

  it('latency grows with utilization', () => {
    const at = (rate: number): number => {
      const cluster = new Cluster(app, {
        stepSeconds: 5,
        initialReplicas: new Map([
          ['a', 4],
          ['b', 8],
          ['c', 8],
        ]),
      });
      cluster.step(rate);
      return cluster.e2e.mean;
    };
    expect(at(50)).to.be.lessThan(at(120));
    expect(at(120)).to.be.lessThan(at(180));
  });

  it('idle CPU jitters from step to step under a seed, and is constant without jitter', () => {
    const idleSeries = (seed: number, idleJitter?: number): number[] => {
      const cluster = new Cluster(app, { stepSeconds: 5, seed, ...(idleJitter !== undefined ? { idleJitter } : {}) });
      return Array.from({ length: 5 }, () => {
        cluster.step(0);
        return cluster.cpuCores[2]!;
      });
    };
    expect(new Set(idleSeries(1)).size).to.equal(5);
    expect(idleSeries(1)).to.deep.equal(idleSeries(1));
    expect(new Set(idleSeries(1, 0)).size).to.equal(1);
  });

  it('counts requested core-seconds of every pod that exists, starting or ready', () => {
    const cluster = new Cluster(app, { stepSeconds: 10 });
    cluster.setReplicas(0, 3);
    cluster.step(1);
    expect(cluster.requestedCoreSeconds).to.be.closeTo((3 + 1 + 1) * 0.1 * 10, 1e-12);
  });

  it('emits edge rates as served requests × calls per request', () => {
    const cluster = new Cluster(app, {
      stepSeconds: 1,
      initialReplicas: new Map([
        ['a', 4],
        ['b', 4],
        ['c', 4],
      ]),
    });
    cluster.step(10);
    expect(cluster.edgeRates()).to.deep.equal([
      { from: 'a', to: 'b', rate: 20 },
      { from: 'b', to: 'c', rate: 20 },
    ]);
  });
});

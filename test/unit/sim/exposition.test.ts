import { expect } from 'chai';
import { parseTopology } from '../../../src/graph/topology.js';
import { buildApp } from '../../../src/sim/app.js';
import { Cluster } from '../../../src/sim/cluster.js';
import { prometheusText } from '../../../src/sim/exposition.js';

const app = buildApp(
  parseTopology(
    [
      'name: chain',
      'entry: a',
      'services:',
      '  - { name: a, cpuRequestMillicores: 100, cpuLimitMillicores: 200 }',
      '  - { name: b, cpuRequestMillicores: 100, cpuLimitMillicores: 200 }',
      'edges:',
      '  - { from: a, to: b, callsPerRequest: 2 }',
      '  - { from: b, to: b, callsPerRequest: 0.5 }',
    ].join('\n'),
    'chain',
  ),
);

function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => ({ labels: l.slice(name.length, l.lastIndexOf(' ')), value: Number(l.slice(l.lastIndexOf(' ') + 1)) }));
}

describe('sim/exposition (Prometheus text, Istio and cAdvisor style)', () => {
  const cluster = new Cluster(app, {
    stepSeconds: 10,
    initialReplicas: new Map([
      ['a', 2],
      ['b', 3],
    ]),
  });
  for (let t = 0; t < 6; t++) cluster.step(20);
  const text = prometheusText(cluster, 'shop');

  it('splits a callee’s requests over its callers by their share of its calls, and they add up to its total', () => {
    const toB = samples(text, 'istio_requests_total').filter((s) => s.labels.includes('destination_workload="b"') && s.labels.includes('response_code="200"'));
    // b receives 4 per external request: 2 from a, 2 from itself (r_b = 2 + 0.5 r_b)
    expect(toB.map((s) => s.labels.match(/source_workload="(\w+)"/)![1])).to.deep.equal(['a', 'b']);
    expect(toB[0]!.value).to.equal(toB[1]!.value);
    expect(toB[0]!.value + toB[1]!.value).to.be.closeTo(cluster.totalServed[1]!, 1);
    const toA = samples(text, 'istio_requests_total').find((s) => s.labels.includes('destination_workload="a"') && s.labels.includes('response_code="200"'))!;
    expect(toA.labels).to.contain('source_workload="unknown"');
    expect(toA.value).to.equal(Math.round(cluster.totalServed[0]!));
  });

  it('gives one container_spec_cpu_period series per pod, so count() is the replica count', () => {
    const periods = samples(text, 'container_spec_cpu_period');
    expect(periods.filter((s) => s.labels.includes('container="a"')).length).to.equal(2);
    expect(periods.filter((s) => s.labels.includes('container="b"')).length).to.equal(3);
    expect(samples(text, 'container_spec_cpu_quota')[0]!.value).to.equal(20_000); // 200 m of a 100 ms period
  });

  it('exposes cumulative CPU seconds and latency sums that a rate() turns back into the simulated values', () => {
    const cpu = samples(text, 'container_cpu_usage_seconds_total').find((s) => s.labels.includes('container="b"'))!;
    expect(cpu.value).to.be.closeTo(cluster.totalCpuSeconds[1]!, 1e-6);
    const sum = samples(text, 'istio_request_duration_milliseconds_sum').find((s) => s.labels.includes('destination_workload="a"'))!;
    const count = samples(text, 'istio_request_duration_milliseconds_count').find((s) => s.labels.includes('destination_workload="a"'))!;
    expect(sum.value / count.value / 1000).to.be.closeTo(cluster.latency[0]!, 1e-3); // steady load: the mean is the step latency
  });

  it('declares every family once with HELP and TYPE', () => {
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).to.equal(types.length);
    expect(types.length).to.equal(8);
  });
});

import { expect } from 'chai';
import { join } from 'node:path';
import { cpuSettingsFromTopology, selectFeatures, withCpuCores, type ServiceCpu } from '../../../src/dataset/derive.js';
import { readSeedDataset } from '../../../src/dataset/seed-format.js';
import { datasetSeries, type Dataset } from '../../../src/dataset/index.js';
import { loadTopology } from '../../../src/graph/topology.js';

const small: Dataset = {
  services: ['a', 'b'],
  features: ['cpu', 'req', 'pod'],
  stepSeconds: 30,
  startMs: null,
  length: 2,
  // t0: a(cpu .5, req 10, pod 2) b(cpu .25, req 4, pod 1); t1: a(NaN, 11, 2) b(1, 5, 3)
  values: Float32Array.from([0.5, 10, 2, 0.25, 4, 1, Number.NaN, 11, 2, 1, 5, 3]),
};
const cpu = new Map<string, ServiceCpu>([
  ['a', { limitCores: 0.2, requestCores: 0.1 }],
  ['b', { limitCores: 0.3, requestCores: 0.2 }],
]);

describe('derived features', () => {
  it('cpu_cores is cpu fraction × pods × per-pod limit; cpu_request is the per-pod request', () => {
    const ds = withCpuCores(small, cpu);
    expect(ds.features).to.deep.equal(['cpu', 'req', 'pod', 'cpu_cores', 'cpu_request']);
    expect(Array.from(datasetSeries(ds, 'b', 'cpu_cores'))).to.deep.equal([Math.fround(0.25 * 1 * 0.3), Math.fround(1 * 3 * 0.3)]);
    expect(Array.from(datasetSeries(ds, 'a', 'cpu_request'))).to.deep.equal([Math.fround(0.1), Math.fround(0.1)]);
    expect(Array.from(datasetSeries(ds, 'a', 'req'))).to.deep.equal([10, 11]);
  });

  it('a gap in cpu stays a gap in cpu_cores', () => {
    const cores = datasetSeries(withCpuCores(small, cpu), 'a', 'cpu_cores');
    expect(cores[0]).to.be.closeTo(0.2, 1e-6);
    expect(cores[1]).to.be.NaN;
  });

  it('refuses services without CPU settings or without a limit, and datasets without cpu/pod', () => {
    expect(() => withCpuCores(small, new Map([['a', cpu.get('a')!]]))).to.throw('no CPU settings for service "b" (known: a)');
    expect(() => withCpuCores(small, new Map([...cpu, ['b', { limitCores: null, requestCores: 0.1 }]]))).to.throw('service "b" has no CPU limit');
    expect(() => withCpuCores(selectFeatures(small, ['cpu', 'req']), cpu)).to.throw('cpu_cores needs the "pod" feature');
    expect(() => withCpuCores(withCpuCores(small, cpu), cpu)).to.throw('the dataset already has "cpu_cores"');
  });

  it('derives boutique cores from the shipped topology (frontend limit 200m)', () => {
    const topology = loadTopology(join(process.cwd(), 'data', 'topologies', 'online-boutique.yaml'));
    const seed = readSeedDataset(join(process.cwd(), 'data', 'boutique-30s'));
    const ds = withCpuCores(seed, cpuSettingsFromTopology(topology));
    const t = 100;
    const expected = datasetSeries(seed, 'frontend', 'cpu')[t]! * datasetSeries(seed, 'frontend', 'pod')[t]! * 0.2;
    expect(datasetSeries(ds, 'frontend', 'cpu_cores')[t]).to.be.closeTo(expected, 1e-6);
    expect(datasetSeries(ds, 'adservice', 'cpu_request')[t]).to.be.closeTo(0.2, 1e-7);
  });

  it('selectFeatures keeps only the named features, in the order asked', () => {
    const ds = selectFeatures(small, ['pod', 'cpu']);
    expect(ds.features).to.deep.equal(['pod', 'cpu']);
    expect(Array.from(ds.values.slice(0, 4))).to.deep.equal([2, 0.5, 1, 0.25]);
    expect(() => selectFeatures(small, ['mem'])).to.throw('dataset has no feature "mem" (has: cpu, req, pod)');
  });
});

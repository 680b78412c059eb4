import { expect } from 'chai';
import { loadTrainingData } from '../../../src/model/training-data.js';

describe('model/training-data', () => {
  it('derives cpu_cores from the seed data with the topology, which also gives the starting call graph', () => {
    const { dataset, callGraph, graphSource } = loadTrainingData('data/boutique-30s', {
      topology: 'data/topologies/online-boutique.yaml',
      required: ['cpu_cores', 'req'],
    });
    expect(dataset.features).to.include.members(['cpu_cores', 'req']);
    expect(callGraph!.services).to.deep.equal(dataset.services);
    expect(callGraph!.edges.some((e) => e.from === 'frontend' && e.to === 'cartservice')).to.equal(true);
    expect(callGraph!.edges.every((e) => dataset.services.includes(e.to))).to.equal(true); // redis-cart dropped
    expect(graphSource).to.equal('data/topologies/online-boutique.yaml');
  });

  it('without a topology, says how to get cpu_cores', () => {
    expect(() => loadTrainingData('data/boutique-30s', { required: ['cpu_cores', 'req'] })).to.throw(/has no cpu_cores .*pass --topology/);
  });
});

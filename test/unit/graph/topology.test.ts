import { expect } from 'chai';
import { loadTopology, parseTopology, topologyCallGraph } from '../../../src/graph/topology.js';
import { adjacencyMatrix } from '../../../src/graph/index.js';

describe('topology files', () => {
  it('loads the shipped Online Boutique topology with its entry, CPU settings and edges', () => {
    const topo = loadTopology('data/topologies/online-boutique.yaml');
    expect(topo.entry).to.equal('frontend');
    expect(topo.services.find((s) => s.name === 'frontend')).to.deep.equal({ name: 'frontend', cpuRequestMillicores: 100, cpuLimitMillicores: 200 });
    expect(topo.edges.some((e) => e.from === 'checkoutservice' && e.to === 'paymentservice' && e.callsPerRequest === 1)).to.equal(true);
  });

  it('loads every shipped topology', () => {
    for (const name of ['bookinfo', 'online-boutique', 'train-ticket']) {
      const topo = loadTopology(`data/topologies/${name}.yaml`);
      expect(topo.services.length, name).to.be.greaterThan(3);
    }
  });

  it('names the bad field when an edge points at an unknown service', () => {
    const text = 'name: x\nentry: a\nservices:\n  - {name: a, cpuRequestMillicores: 100}\nedges:\n  - {from: a, to: b, callsPerRequest: 1}\n';
    expect(() => parseTopology(text, 't.yaml')).to.throw('t.yaml: edges[0].to: "b" is not one of the services');
  });

  it('names the bad field when a CPU request is not a number', () => {
    const text = 'name: x\nentry: a\nservices:\n  - {name: a, cpuRequestMillicores: lots}\n';
    expect(() => parseTopology(text, 't.yaml')).to.throw('t.yaml: services[0].cpuRequestMillicores: expected a number, got "lots"');
  });

  it('rejects unknown keys (a `calls:` typo must not run a zero-edge simulation) and reports every problem at once', () => {
    const text =
      'name: x\nentry: a\nservices:\n  - {name: a, cpuRequestMillicores: 100, cpuLimit: 200}\n  - {name: b, cpuRequestMillicores: 0}\n' +
      'calls:\n  - {from: a, to: b, callsPerRequest: 1}\n';
    let message = '';
    try {
      parseTopology(text, 't.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/^3 problems:/);
    expect(message).to.contain('t.yaml: calls: unknown field');
    expect(message).to.contain('t.yaml: services[0].cpuLimit: unknown field');
    expect(message).to.contain('t.yaml: services[1].cpuRequestMillicores: must be at least 1, got 0');
  });

  it('turns edges into a directed adjacency in service order, dropping services outside the set', () => {
    const graph = topologyCallGraph(loadTopology('data/topologies/online-boutique.yaml'));
    const services = ['frontend', 'cartservice'];
    const a = adjacencyMatrix(graph, services);
    expect(Array.from(a)).to.deep.equal([0, Math.fround(0.9), 0, 0]);
  });
});
